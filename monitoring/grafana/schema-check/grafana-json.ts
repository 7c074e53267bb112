/**
 * A Grafana type as it is written in JSON. The schema's string enums (ThresholdsMode,
 * FieldColorModeId, ...) are TypeScript enums, which no JSON literal can satisfy: here
 * each becomes the union of its values ("absolute" | "percentage"). Numeric enums accept
 * their numbers as they are. Everything else keeps its shape, optional keys included.
 */
export type GrafanaJson<T> = T extends string
  ? `${T}`
  : T extends number | boolean | null | undefined
    ? T
    : T extends ReadonlyArray<infer Item>
      ? Array<GrafanaJson<Item>>
      : T extends object
        ? { [Key in keyof T]: GrafanaJson<T[Key]> }
        : T;
