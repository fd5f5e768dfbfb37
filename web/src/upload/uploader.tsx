import Uppy from '@uppy/core';
import Dashboard from '@uppy/dashboard';
import '@uppy/core/css/style.min.css';
import '@uppy/dashboard/css/style.min.css';
import { useEffect, useRef, useState } from 'preact/hooks';
import { Link } from '../app/router';
import { type AlreadyStored, connectKite } from './kite-uppy';

/**
 * Uppy's Dashboard (drag and drop, files or a folder, progress per file and in total, multipart that resumes),
 * loaded only when the person opens it. Each confirmed upload tells the open screens to reload.
 */
export function Uploader({ onClose }: { onClose: () => void }) {
  const target = useRef<HTMLDivElement>(null);
  const [stored, setStored] = useState<AlreadyStored[]>([]);
  const [confirmed, setConfirmed] = useState(0);

  useEffect(() => {
    const uppy = new Uppy({ autoProceed: true, id: 'kite' });
    uppy.use(Dashboard, {
      inline: true,
      target: target.current as HTMLElement,
      fileManagerSelectionType: 'both',
      proudlyDisplayPoweredByUppy: false,
      width: '100%',
      height: 320,
      note: 'Files go straight to storage; kite reads and files them.',
    });
    connectKite(uppy, {
      alreadyStored: (found) => setStored((old) => [...old, found]),
      confirmed: () => {
        setConfirmed((n) => n + 1);
        dispatchEvent(new Event('kite:uploaded'));
      },
    });
    return () => uppy.destroy();
  }, []);

  return (
    <>
      <div class="page-head">
        <h2>Upload</h2>
        <button type="button" class="quiet" onClick={onClose}>
          Close the uploader
        </button>
      </div>
      <div ref={target} />
      <p role="status">{confirmed ? `${confirmed} uploaded; kite is reading and filing them.` : ''}</p>
      {stored.length ? (
        <section aria-label="Already stored">
          <h3>Already stored</h3>
          <ul>
            {stored.map((s) => (
              <li key={`${s.name}-${s.documentId}`}>
                {s.name}: kite already holds this content{' '}
                {s.trashed ? (
                  <Link href="/trash">in the trash (restore it there)</Link>
                ) : (
                  <Link href={`/documents/${s.documentId}`}>as this document</Link>
                )}
                .
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}
