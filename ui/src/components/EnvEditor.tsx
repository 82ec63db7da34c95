import type { FieldErrors } from "../lib/errors";
import { looksSecret } from "../lib/env-checks";
import type { KeyValueRow } from "../lib/labels";
import { FieldGroup } from "./Field";
import { KeyValueEditor } from "./KeyValueEditor";

/** JobSpec.env: plain variables, visible to every reader of the job, so secret-like names get a warning. */
export function EnvEditor({
  rows,
  onChange,
  errors,
  path,
}: {
  rows: KeyValueRow[];
  onChange: (rows: KeyValueRow[]) => void;
  errors: FieldErrors;
  path: string;
}) {
  return (
    <FieldGroup
      label="Environment variables"
      name={path}
      error={errors.get(path)}
      hint="Plain and visible to anyone who can read the job; values may use {{parameter}} placeholders."
    >
      <KeyValueEditor
        ariaLabel="Environment variables"
        rows={rows}
        onChange={onChange}
        keyPlaceholder="LOG_LEVEL"
        valuePlaceholder="debug"
        addLabel="Variable"
        rowError={(key) => errors.get(`${path}[${JSON.stringify(key)}]`)}
        rowWarning={(key) =>
          looksSecret(key) ? `${key} looks like a secret: values here are shown to every reader. Put it in a credential instead.` : undefined
        }
      />
    </FieldGroup>
  );
}
