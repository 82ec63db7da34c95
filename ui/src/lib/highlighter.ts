import { refractor } from "refractor";
import docker from "refractor/docker";
import graphql from "refractor/graphql";
import hcl from "refractor/hcl";
import jsx from "refractor/jsx";
import protobuf from "refractor/protobuf";
import toml from "refractor/toml";
import tsx from "refractor/tsx";

// refractor's common set (36 languages) plus the file types agents often touch that it leaves out.
refractor.register(jsx);
refractor.register(tsx);
refractor.register(toml);
refractor.register(docker);
refractor.register(protobuf);
refractor.register(hcl);
refractor.register(graphql);

/**
 * refractor in the shape react-diff-view's tokenize expects. react-diff-view was written for
 * refractor 3, whose highlight() returned the list of nodes; refractor 4 and later return a hast
 * root holding that list, with the same node shapes.
 */
export const diffHighlighter = {
  highlight: (text: string, language: string) => refractor.highlight(text, language).children,
};

export function isRegistered(language: string): boolean {
  return refractor.registered(language);
}
