import { useEffect, useState } from 'react';
import type {
  BatchProgressView,
  BatchSummaryView,
  CardRecordView,
  ReaderInfo,
} from '../../../../core/api/index.js';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { errorText } from '../../use-kms';
import { CardDetail } from './CardDetail';
import { CardList, RejectList } from './CardTables';
import { batchStateText, finished, remaining } from './format';
import { RunView } from './RunView';
import { StartRun } from './StartRun';
import type { RateSample } from './use-perso';
import { WriteOutputs } from './WriteOutputs';

const CARD_LIMIT = 500;

/** The cards of a batch and its rejects, fetched again whenever its counts move. */
function useCards(station: Station, batch: BatchSummaryView) {
  const [cards, setCards] = useState<CardRecordView[]>([]);
  const [rejects, setRejects] = useState<CardRecordView[]>([]);
  const [error, setError] = useState<string | null>(null);
  const moved = `${batch.assigned}:${finished(batch)}:${batch.state}`;
  useEffect(() => {
    let live = true;
    Promise.all([
      station.call('perso.cards', { batchId: batch.id, limit: CARD_LIMIT }),
      station.call('perso.cards', { batchId: batch.id, state: 'rejected', limit: CARD_LIMIT }),
    ]).then(
      ([all, rejected]) => {
        if (!live) return;
        setCards(all);
        setRejects(rejected);
        setError(null);
      },
      (err: unknown) => live && setError(errorText(err)),
    );
    return () => {
      live = false;
    };
  }, [station, batch.id, moved]);
  return { cards, rejects, error };
}

/** One batch: how to run it, its run as it happens, its rejects, its cards, its output files. */
export function BatchScreen({
  station,
  batch,
  progress,
  samples,
  readers,
  onProgress,
}: {
  station: Station;
  batch: BatchSummaryView;
  /** The station's current (or last seen) run, of whichever batch. */
  progress: BatchProgressView | null;
  samples: RateSample[];
  readers: ReaderInfo[];
  onProgress: (p: BatchProgressView) => void;
}) {
  const { cards, rejects, error } = useCards(station, batch);
  const [openCard, setOpenCard] = useState<string | null>(null);
  const [swapError, setSwapError] = useState<string | null>(null);
  const mine = progress?.batchId === batch.id ? progress : null;
  const live = (p: BatchProgressView | null) => p !== null && (p.state === 'running' || p.state === 'paused');
  const blockedBy = live(progress) && !mine ? progress!.batchId : null;
  const detail = cards.find((c) => c.cardId === openCard) ?? null;

  // A simulated reader's card, taken out and the next one put in: what the operator's hands do.
  const swap = (reader: string, removeFirst: boolean) => {
    const insert = () => station.call('readers.simulate', { reader, action: 'insert' });
    (removeFirst
      ? station.call('readers.simulate', { reader, action: 'remove' }).then(insert)
      : insert()
    ).then(
      () => setSwapError(null),
      (err: unknown) => setSwapError(errorText(err)),
    );
  };

  return (
    <section className="batch" aria-labelledby="batch-title">
      <h3 id="batch-title">
        Batch {batch.id} <span className="muted">· {batch.customer}</span>
      </h3>
      <dl className="facts">
        <dt>Cards</dt>
        <dd>
          {batch.cardCount} · ICCID <span className="mono">{batch.iccidFirst}</span> to{' '}
          <span className="mono">{batch.iccidLast}</span>
        </dd>
        <dt>State</dt>
        <dd data-testid="batch-state">{batchStateText[batch.state]}</dd>
        <dt>Imported</dt>
        <dd>
          {batch.createdAt} by {batch.createdBy}
        </dd>
        {!mine && (
          <>
            <dt>Finished</dt>
            <dd>
              {batch.counts.verified} verified · {batch.counts.rejected} rejected · {remaining(batch)}{' '}
              remaining
            </dd>
          </>
        )}
      </dl>
      {mine ? (
        <RunView
          station={station}
          progress={mine}
          samples={samples}
          readers={readers}
          onProgress={onProgress}
          onSwap={swap}
        />
      ) : null}
      {!live(mine) && (
        <StartRun
          station={station}
          batch={batch}
          readers={readers}
          blockedBy={blockedBy}
          onStarted={onProgress}
        />
      )}
      <Alert text={swapError} />
      <Alert text={error} />
      <RejectList cards={rejects} />
      {detail && <CardDetail card={detail} onClose={() => setOpenCard(null)} />}
      <CardList cards={cards} limit={CARD_LIMIT} selected={openCard} onOpen={(c) => setOpenCard(c.cardId)} />
      <WriteOutputs station={station} batchId={batch.id} verified={batch.counts.verified} />
    </section>
  );
}
