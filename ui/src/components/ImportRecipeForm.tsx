import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { useMutation } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { JobService } from "../gen/flightcontrol/v1/job_pb";
import { FieldErrors } from "../lib/errors";
import { invalidateService } from "../lib/invalidate";
import { ErrorBanner } from "./ErrorBanner";
import { Field } from "./Field";
import { FormFooter } from "./FormFooter";

/** ImportRecipe: a Goose recipe pasted or read from a file becomes a goose job, which then opens. */
export function ImportRecipeForm({ onDone }: { onDone: () => void }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [recipe, setRecipe] = useState("");
  const [name, setName] = useState("");
  const [readError, setReadError] = useState("");
  const importRecipe = useMutation(JobService.method.importRecipe, {
    onSuccess: (res) => {
      invalidateService(queryClient, JobService);
      onDone();
      if (res.job) navigate(`/jobs/${res.job.id}`);
    },
  });
  const errors = FieldErrors.of(importRecipe.error);

  async function readFile(file: File | undefined) {
    if (!file) return;
    setReadError("");
    if (file.size > 262144) return setReadError(`${file.name} is ${Math.ceil(file.size / 1024)} KiB; a recipe may be at most 256 KiB.`);
    setRecipe(await file.text());
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    importRecipe.mutate({ recipe, name: name.trim() });
  }

  return (
    <form onSubmit={submit} noValidate className="space-y-4" aria-label="Import Goose recipe">
      <ErrorBanner error={importRecipe.error} fieldErrors={errors} claimed={["recipe", "name"]} />
      <Field
        label="Recipe"
        name="recipe"
        error={errors.get("recipe") || readError || undefined}
        hint="YAML or JSON: title, description, instructions, prompt, parameters, extensions, settings."
      >
        {(a) => (
          <textarea
            {...a}
            className="input font-mono text-xs"
            rows={12}
            placeholder={
              "version: 1.0.0\ntitle: Weekly report\ndescription: …\nprompt: Summarise {{ topic }}\nparameters:\n  - key: topic\n    input_type: string\n    requirement: required\n    description: What to summarise"
            }
            value={recipe}
            onChange={(e) => setRecipe(e.target.value)}
          />
        )}
      </Field>
      <label className="block text-xs text-zinc-600">
        Or read a file:{" "}
        <input
          type="file"
          accept=".yaml,.yml,.json"
          className="text-xs"
          aria-label="Recipe file"
          onChange={(e) => void readFile(e.target.files?.[0])}
        />
      </label>
      <Field label="Job name" name="name" error={errors.get("name")} hint="Empty: the recipe's title.">
        {(a) => <input {...a} className="input" value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <FormFooter onCancel={onDone} busy={importRecipe.isPending} disabled={!recipe.trim()}>
        Import as job
      </FormFooter>
    </form>
  );
}
