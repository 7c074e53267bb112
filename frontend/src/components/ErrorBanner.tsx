type Props = { message: string; onRetry: () => void };

/** The tasks could not be loaded: say so, and offer to try again. */
export function ErrorBanner({ message, onRetry }: Props) {
  return (
    <div className="banner error" role="alert">
      <p>
        <strong>Could not load the tasks.</strong> {message}
      </p>
      <button type="button" onClick={onRetry}>
        Retry
      </button>
    </div>
  );
}
