import { useDataNotices } from '../state/queries';

/** A banner listing what went wrong with the data folder: a damaged file restored, a setting dropped, a save that failed. */
export function DataNotices() {
  const notices = useDataNotices().data ?? [];
  if (notices.length === 0) return null;
  return (
    <div className="banner banner-warn" role="status" data-testid="data-notices">
      <ul>
        {notices.map((notice) => (
          <li key={notice}>{notice}</li>
        ))}
      </ul>
    </div>
  );
}
