type Props = { message: string; onDismiss: () => void };

/** A change that did not go through, said plainly until dismissed. */
export function Notice({ message, onDismiss }: Props) {
  return (
    <div className="banner notice" role="alert">
      <p>{message}</p>
      <button type="button" className="icon" onClick={onDismiss} aria-label="Dismiss">
        ✕
      </button>
    </div>
  );
}
