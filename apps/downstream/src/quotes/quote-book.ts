import { createHash } from 'node:crypto';

export interface Quote {
  text: string;
  author: string;
}

const QUOTES: readonly Quote[] = [
  { text: 'Everything fails, all the time.', author: 'Werner Vogels' },
  { text: 'Hope is not a strategy.', author: 'Traditional SRE saying' },
  { text: 'Simplicity is prerequisite for reliability.', author: 'Edsger W. Dijkstra' },
  { text: 'The network is reliable.', author: 'The first fallacy of distributed computing' },
  { text: 'Be conservative in what you send, be liberal in what you accept.', author: 'Jon Postel' },
  { text: 'A distributed system is one in which the failure of a computer you did not even know existed can render your own computer unusable.', author: 'Leslie Lamport' },
];

/** The same subject always gets the same quote. */
export function quoteFor(subject: string): Quote {
  const index = createHash('sha256').update(subject).digest().readUInt32BE(0) % QUOTES.length;
  return QUOTES[index]!;
}
