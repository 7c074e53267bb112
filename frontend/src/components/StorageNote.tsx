import type { Storage } from "../api";

const NOTES: Record<Storage, { label: string; detail: string }> = {
  postgresql: { label: "PostgreSQL", detail: "saved across restarts" },
  memory: { label: "In memory", detail: "lost when the backend restarts" },
};

/** Where the tasks live: the course's key lesson, shown quietly. */
export function StorageNote({ storage }: { storage: Storage | null }) {
  if (!storage) return null;
  const note = NOTES[storage];
  return (
    <p className={`storage storage-${storage}`}>
      <strong>{note.label}:</strong> {note.detail}
    </p>
  );
}
