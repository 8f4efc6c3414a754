/** The Resource Server sync part of the contract (DESIGN.md §6): methods `sync.*` and the `sync` event. */

export const syncMethods = {} as const;

export const syncEvents = {} as const;
