/** What a notice says: `before`, then a task's title if any (quoted), then `after`. */
export type NoticeContent = { before: string; title?: string; after?: string };

type Props = { notice: NoticeContent; onDismiss: () => void };

/** A change that did not go through, said plainly until dismissed. The title sits in a
 * <bdi>: right-to-left text in it, or a U+202E (right-to-left override), stays inside it
 * instead of reordering the sentence around it. */
export function Notice({ notice: { before, title, after }, onDismiss }: Props) {
  return (
    <div className="banner notice" role="alert">
      <p>
        {before}
        {title !== undefined && (
          <>
            "<bdi>{title}</bdi>"
          </>
        )}
        {after}
      </p>
      <button type="button" className="icon" onClick={onDismiss} aria-label="Dismiss">
        ✕
      </button>
    </div>
  );
}
