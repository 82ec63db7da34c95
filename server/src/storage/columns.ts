import type { EntitySchemaColumnOptions } from "typeorm";

/** pg returns int8 as a string; every epoch-ms column is read back as a number on both drivers. */
const numberFromBigint = {
  to: (v: number | null | undefined) => v,
  from: (v: string | number | null) => (v === null || v === undefined ? null : Number(v)),
};

export const epochMs = (nullable = false): EntitySchemaColumnOptions => ({
  type: "bigint",
  nullable,
  transformer: numberFromBigint,
});

export const id = (): EntitySchemaColumnOptions => ({ type: "varchar", length: 36, primary: true });
export const ref = (nullable = true): EntitySchemaColumnOptions => ({ type: "varchar", length: 36, nullable });
export const text = (nullable = false): EntitySchemaColumnOptions => ({ type: "text", nullable });
export const str = (length: number, nullable = false): EntitySchemaColumnOptions => ({ type: "varchar", length, nullable });
export const int = (nullable = false): EntitySchemaColumnOptions => ({ type: "integer", nullable });
export const bool = (): EntitySchemaColumnOptions => ({ type: "boolean" });
