// The API's rule for task titles, applied before anything is sent, from its OpenAPI
// document (TaskCreate.title's pattern and Task.title's maxLength, generated into
// generated/api.ts by scripts/api-types): white space at both ends is removed first (by
// Unicode's White_Space property, not JavaScript's trim(), which also removes U+FEFF and
// keeps U+0085); what is left must be 1 to TITLE_MAX_LENGTH code points, hold a visible
// character and no control character.
import { TITLE_MAX_LENGTH, TITLE_PATTERN, TITLE_WHITE_SPACE } from "./generated/api";

const AT_THE_ENDS = new RegExp(`^[${TITLE_WHITE_SPACE}]+|[${TITLE_WHITE_SPACE}]+$`, "gu");

/** `text` without the white space the API trims from its start and end. */
export function trimTitle(text: string): string {
  return text.replace(AT_THE_ENDS, "");
}

/** Length in Unicode code points, as the API counts it: an emoji is one, not two. */
export function titleLength(title: string): number {
  let length = 0;
  for (const _codePoint of title) length++;
  return length;
}

/** Why the API would refuse `title` (already trimmed), or null if it takes it. */
export function titleProblem(title: string): string | null {
  const length = titleLength(title);
  if (length === 0) return "Write a title first: a task cannot be empty.";
  if (length > TITLE_MAX_LENGTH) {
    return `A title has at most ${TITLE_MAX_LENGTH} characters; this one has ${length}.`;
  }
  if (!TITLE_PATTERN.test(title)) {
    return "A title needs a visible character, and no control character such as a tab or a line break.";
  }
  return null;
}
