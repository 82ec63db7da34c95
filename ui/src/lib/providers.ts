// Providers the agents know, with the environment variables each expects. The run form uses
// them for hints ("needs OPENAI_API_KEY"), the credential form to prefill variable names.
export interface ProviderInfo {
  id: string;
  label: string;
  env: string[];
  models: string[];
}

export const PROVIDERS: ProviderInfo[] = [
  { id: "openai", label: "OpenAI", env: ["OPENAI_API_KEY"], models: ["gpt-4.1", "gpt-4.1-mini", "gpt-4o", "gpt-4o-mini", "o3", "o4-mini"] },
  {
    id: "anthropic",
    label: "Anthropic",
    env: ["ANTHROPIC_API_KEY"],
    models: ["claude-sonnet-4-5", "claude-opus-4-1", "claude-sonnet-4-0", "claude-3-5-haiku-latest"],
  },
  { id: "google", label: "Google Gemini", env: ["GOOGLE_API_KEY"], models: ["gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.0-flash"] },
  {
    id: "openrouter",
    label: "OpenRouter",
    env: ["OPENROUTER_API_KEY"],
    models: ["anthropic/claude-sonnet-4.5", "openai/gpt-4.1", "google/gemini-2.5-pro", "meta-llama/llama-3.3-70b-instruct"],
  },
  { id: "ollama", label: "Ollama", env: ["OLLAMA_HOST"], models: ["qwen2.5", "llama3.2", "mistral-nemo"] },
  { id: "groq", label: "Groq", env: ["GROQ_API_KEY"], models: ["llama-3.3-70b-versatile", "moonshotai/kimi-k2-instruct"] },
  {
    id: "azure_openai",
    label: "Azure OpenAI",
    env: ["AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_DEPLOYMENT_NAME"],
    models: [],
  },
];

export function providerInfo(id: string): ProviderInfo | undefined {
  return PROVIDERS.find((p) => p.id === id);
}

export interface CredentialPreset {
  id: string;
  label: string;
  name: string;
  env: string[];
}

export const CREDENTIAL_PRESETS: CredentialPreset[] = [
  ...PROVIDERS.map((p) => ({ id: p.id, label: p.label, name: p.label, env: p.env })),
  { id: "github", label: "GitHub", name: "GitHub", env: ["GITHUB_TOKEN"] },
  { id: "custom", label: "Custom", name: "", env: [""] },
];

export const AGENTS = [
  { id: "goose", label: "Goose" },
  { id: "claude-code", label: "Claude Code" },
  { id: "codex", label: "Codex" },
  { id: "shell", label: "Shell" },
] as const;
