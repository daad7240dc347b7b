import type { ReactNode } from 'react';

const COPY: Record<'missing' | 'refused', { title: string; body: ReactNode }> = {
  missing: {
    title: 'Open Pareto Studio from its link',
    body: (
      <>
        The web studio needs the access token that the server prints when it starts. Open the full URL printed by <code>pareto serve</code> (or <code>npm run studio:web</code>); it looks like this:
      </>
    ),
  },
  refused: {
    title: 'This link has expired',
    body: (
      <>
        The studio server did not accept this page’s token. It makes a new token every time it starts: open the latest URL printed by <code>pareto serve</code> (or <code>npm run studio:web</code>), which looks like this:
      </>
    ),
  },
};

/** Full-page notice for the web mode when there is no usable access token. */
export function TokenPage({ reason }: { reason: keyof typeof COPY }) {
  const copy = COPY[reason];
  return (
    <main className="token-page" data-testid="token-page">
      <div className="token-card">
        <h1>{copy.title}</h1>
        <p>{copy.body}</p>
        <code className="token-example">http://127.0.0.1:PORT/#token=…</code>
      </div>
    </main>
  );
}
