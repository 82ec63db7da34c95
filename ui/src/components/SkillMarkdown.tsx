import Markdown from "react-markdown";
import { markdownBody } from "../lib/front-matter";

/** SKILL.md's body rendered; react-markdown escapes raw HTML and drops javascript: links. */
export default function SkillMarkdown({ text }: { text: string }) {
  return (
    <div className="markdown-preview px-5 py-4" data-testid="skill-md">
      <Markdown>{markdownBody(text)}</Markdown>
    </div>
  );
}
