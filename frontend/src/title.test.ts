import { TITLE_MAX_LENGTH } from "./generated/api";
import { titleLength, titleProblem, trimTitle } from "./title";

// Unicode's White_Space property (PropList.txt), the team's trimming rule, listed from the
// standard rather than from title.ts.
const WHITE_SPACE = [
  ...Array.from({ length: 5 }, (_, n) => 0x09 + n), // U+0009..U+000D
  0x20,
  0x85,
  0xa0,
  0x1680,
  ...Array.from({ length: 11 }, (_, n) => 0x2000 + n), // U+2000..U+200A
  0x2028,
  0x2029,
  0x202f,
  0x205f,
  0x3000,
];
const hex = (codePoint: number) => `U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}`;

describe("trimTitle", () => {
  it.each(WHITE_SPACE.map((codePoint) => [hex(codePoint), codePoint]))(
    "removes %s at both ends, and keeps it inside",
    (_, codePoint) => {
      const space = String.fromCodePoint(codePoint);
      expect(trimTitle(`${space}${space}café${space}au lait${space}`)).toBe(`café${space}au lait`);
    },
  );

  it.each([
    ["U+FEFF (zero width no-break space)", 0xfeff],
    ["U+200B (zero width space)", 0x200b],
    ["U+180E (Mongolian vowel separator)", 0x180e],
    ["U+0000", 0x0000],
    ["U+001F", 0x001f],
  ])("keeps %s, which is not White_Space: the API judges it", (_, codePoint) => {
    const other = String.fromCodePoint(codePoint);
    expect(trimTitle(`${other}café${other}`)).toBe(`${other}café${other}`);
  });

  it("differs from JavaScript's trim() where Unicode does", () => {
    expect(trimTitle("\u0085x\u0085")).toBe("x");
    expect("\u0085x\u0085".trim()).toBe("\u0085x\u0085");
    expect(trimTitle("\ufeffx")).toBe("\ufeffx");
    expect("\ufeffx".trim()).toBe("x");
  });

  it("leaves nothing of a title made of whitespace", () => {
    expect(trimTitle(" \t\u3000\n")).toBe("");
  });
});

describe("titleLength and titleProblem", () => {
  it("counts code points, not UTF-16 units: an emoji is one", () => {
    expect(titleLength("🐳".repeat(3))).toBe(3);
    expect("🐳".repeat(3).length).toBe(6);
  });

  it(`accepts 1 to ${TITLE_MAX_LENGTH} code points, whatever their width`, () => {
    expect(titleProblem("b")).toBeNull();
    expect(titleProblem("b".repeat(TITLE_MAX_LENGTH))).toBeNull();
    expect(titleProblem("🐳".repeat(TITLE_MAX_LENGTH))).toBeNull();
  });

  it("refuses what the API's pattern refuses: a control character, nothing visible", () => {
    expect(titleProblem("café\tau lait")).toMatch(/no control character/);
    expect(titleProblem("a\u0085b")).toMatch(/no control character/);
    expect(titleProblem("\u200b\ufeff")).toMatch(/a visible character/);
    expect(titleProblem("\u200bcafé")).toBeNull();
  });

  it("refuses an empty title and a longer one, saying why", () => {
    expect(titleProblem("")).toMatch(/cannot be empty/);
    expect(titleProblem("🐳".repeat(TITLE_MAX_LENGTH + 1))).toBe(
      `A title has at most ${TITLE_MAX_LENGTH} characters; this one has ${TITLE_MAX_LENGTH + 1}.`,
    );
  });
});
