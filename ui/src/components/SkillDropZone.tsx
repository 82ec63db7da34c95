import { useState, type DragEvent } from "react";
import { pickedFromDrop, pickedFromInput, skillSource, type PickedFile, type SkillSource } from "../lib/skill-upload";

/**
 * Where a skill is dropped (its folder, its files, or one .zip / .tar.gz) or chosen with the file
 * pickers. Hands the source to `onSource`; what cannot be a skill is reported here, before sending.
 */
export function SkillDropZone({ onSource, busy, label }: { onSource: (s: SkillSource) => void; busy: boolean; label: string }) {
  const [over, setOver] = useState(false);
  const [problem, setProblem] = useState("");

  async function take(picked: PickedFile[]) {
    setProblem("");
    const source = await skillSource(picked);
    if (typeof source === "string") setProblem(source);
    else onSource(source);
  }

  function drop(e: DragEvent) {
    e.preventDefault();
    setOver(false);
    if (busy) return;
    pickedFromDrop(e.dataTransfer).then(take, (err: unknown) => setProblem(`Could not read what was dropped: ${String(err)}`));
  }

  return (
    <div>
      <section
        aria-label={label}
        data-testid="skill-drop-zone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={drop}
        className={`rounded-lg border-2 border-dashed px-4 py-6 text-center text-sm transition-colors ${
          over ? "border-indigo-400 bg-indigo-50" : "border-zinc-300 bg-white"
        } ${busy ? "opacity-60" : ""}`}
      >
        <p className="font-medium text-zinc-800">{busy ? "Uploading…" : label}</p>
        <p className="mt-1 text-xs text-zinc-500">Drop the skill's folder (SKILL.md at its top), its files, or a .zip / .tar.gz of it, or choose:</p>
        <div className="mt-3 flex justify-center gap-2">
          <label className="cursor-pointer rounded-md bg-white px-2.5 py-1 text-xs font-medium text-zinc-800 ring-1 ring-zinc-300 ring-inset hover:bg-zinc-50">
            Archive…
            <input
              type="file"
              className="sr-only"
              accept=".zip,.tar.gz,.tgz,application/zip,application/gzip"
              aria-label="Skill archive"
              disabled={busy}
              onChange={(e) => {
                void take(pickedFromInput(e.target.files ?? []));
                e.target.value = "";
              }}
            />
          </label>
          <label className="cursor-pointer rounded-md bg-white px-2.5 py-1 text-xs font-medium text-zinc-800 ring-1 ring-zinc-300 ring-inset hover:bg-zinc-50">
            Folder…
            <input
              type="file"
              className="sr-only"
              aria-label="Skill folder"
              disabled={busy}
              // React has no typed prop for it; the attribute makes the picker choose a folder.
              {...{ webkitdirectory: "" }}
              multiple
              onChange={(e) => {
                void take(pickedFromInput(e.target.files ?? []));
                e.target.value = "";
              }}
            />
          </label>
        </div>
      </section>
      {problem && (
        <p role="alert" className="mt-2 text-sm text-red-700">
          {problem}
        </p>
      )}
    </div>
  );
}
