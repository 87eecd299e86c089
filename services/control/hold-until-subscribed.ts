import { Observable, type Subscriber } from 'rxjs';

type Held<T> = { kind: 'next'; value: T } | { kind: 'error'; error: unknown } | { kind: 'complete' };

/**
 * Subscribes to `source` now and holds what it emits until the returned Observable is subscribed
 * (once); from then on values pass straight through and nothing is retained. For gRPC request
 * streams: Nest emits messages that arrive before an async handler subscribes into the void.
 */
export function holdUntilSubscribed<T>(source: Observable<T>): Observable<T> {
  const held: Array<Held<T>> = [];
  let target: Subscriber<T> | null = null;
  const deliver = (n: Held<T>) => {
    if (!target) return void held.push(n);
    if (n.kind === 'next') target.next(n.value);
    else if (n.kind === 'error') target.error(n.error);
    else target.complete();
  };
  source.subscribe({
    next: (value) => deliver({ kind: 'next', value }),
    error: (error) => deliver({ kind: 'error', error }),
    complete: () => deliver({ kind: 'complete' }),
  });
  return new Observable<T>((subscriber) => {
    if (target) throw new Error('holdUntilSubscribed: one subscriber only');
    target = subscriber;
    for (const n of held.splice(0)) deliver(n);
  });
}
