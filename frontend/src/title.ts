// The API's rule for task titles, applied before anything is sent: whitespace at both ends
// is removed first, then what is left must be 1 to TITLE_MAX_LENGTH characters long.
import { TITLE_MAX_LENGTH } from "./generated/api";

// Unicode's White_Space characters (PropList.txt), the ones the API trims. Not JavaScript's
// String.prototype.trim(), which also removes U+FEFF (not White_Space) and keeps U+0085.
const WHITE_SPACE = new Set([
  "\u0009", // tab
  "\u000a", // line feed
  "\u000b", // vertical tab
  "\u000c", // form feed
  "\u000d", // carriage return
  "\u0020", // space
  "\u0085", // next line
  "\u00a0", // no-break space
  "\u1680", // Ogham space mark
  "\u2000", // en quad ... hair space:
  "\u2001",
  "\u2002",
  "\u2003",
  "\u2004",
  "\u2005",
  "\u2006",
  "\u2007",
  "\u2008",
  "\u2009",
  "\u200a",
  "\u2028", // line separator
  "\u2029", // paragraph separator
  "\u202f", // narrow no-break space
  "\u205f", // medium mathematical space
  "\u3000", // ideographic space
]);

/** `text` without the White_Space characters at its start and end (all are one UTF-16 unit). */
export function trimTitle(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && WHITE_SPACE.has(text.charAt(start))) start++;
  while (end > start && WHITE_SPACE.has(text.charAt(end - 1))) end--;
  return text.slice(start, end);
}

/** Length in Unicode code points, as the API counts it: an emoji is one, not two. */
export function titleLength(title: string): number {
  let length = 0;
  for (const _codePoint of title) length++;
  return length;
}

/** Why the API would refuse `title` (already trimmed) for its length, or null if it fits. */
export function titleProblem(title: string): string | null {
  const length = titleLength(title);
  if (length === 0) return "Write a title first: a task cannot be empty.";
  if (length > TITLE_MAX_LENGTH) {
    return `A title has at most ${TITLE_MAX_LENGTH} characters; this one has ${length}.`;
  }
  return null;
}
