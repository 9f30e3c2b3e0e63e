import Foundation
import QuernKit

/// Whether the batches of an intermediate folder were made with the extractor a merge's config
/// names. Only `run` and `extract` compared schemas, so a merge with a changed config (fewer
/// numeric columns, say) used the old batches without a word; pre-flight now refuses, saying
/// what changed.
enum MergeSchemaCheck {
    /// Why the merge must not use the batches of `dir` with this config, or nil when it may.
    static func problem(_ plan: RunPlan, header: Plan.Header, registry: PluginRegistry, dir: String) -> String? {
        let s = plan.extract
        guard let extractor = plan.extractor else {
            return
                "the config's extractor cannot be built (see the problems above), so the batches of \(dir) cannot be checked against it."
        }
        if let options = header.options {
            guard header.extractor != extractor.name || options != extractor.optionsText else { return nil }
            var changed: [String] = []
            if header.extractor != extractor.name {
                changed.append(
                    "extractor.name: \(header.extractor.debugDescription) -> \(extractor.name.debugDescription)")
            }
            let old = split(options)
            let new = split(extractor.optionsText)
            for k in Set(old.keys).union(new.keys).sorted() where old[k] != new[k] {
                changed.append(
                    "extractor.\(k): \(old[k]?.debugDescription ?? "(not set)") -> \(new[k]?.debugDescription ?? "(not set)")"
                )
            }
            return message(dir, changed)
        }
        // A plan of an older version has no options: compare the fingerprint, from the inputs' header.
        do {
            let files = try Discovery.find(in: s.inputDir, pattern: s.pattern, registry: registry)
            let stage = ExtractStage(plan: plan, registry: registry, console: Console(quiet: true, isTerminal: false))
            let (schema, vocabulary) = try stage.discoverColumns(extractor, files)
            let fingerprint = SchemaFingerprint(
                extractor: extractor.name, options: extractor.optionsText, schema: schema, vocabulary: vocabulary)
            guard fingerprint.value != header.fingerprint else { return nil }
            return message(
                dir,
                [
                    "schema \(header.fingerprint) (\(header.features) features) -> \(fingerprint.value) (\(schema.features.count) features)"
                ])
        } catch {
            return
                "\(dir) was made by an older quern that did not record the extractor's options, and the inputs (\(s.inputDir)) cannot be read to compare schemas (\(error)). "
                + "Run `quern extract` with this config first (it checks the schema), or merge with the config the batches were made with."
        }
    }

    static func message(_ dir: String, _ changed: [String]) -> String {
        "\(dir) holds batches made with another extractor configuration than this config's; changed: \(changed.joined(separator: "; ")). "
            + "A merge never mixes them: run `quern extract --restart` with this config to redo the batches (the old ones are moved to superseded/, not deleted), "
            + "use a new --intermediate-dir, or merge with the config the batches were made with."
    }

    /// `key=value;key=value` (``PluginOptions/canonical``) by key; a `;` inside a value stays in it.
    static func split(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        var last: String? = nil
        for token in text.split(separator: ";", omittingEmptySubsequences: false).map(String.init) {
            if let eq = token.firstIndex(of: "="), token[..<eq].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
                !token[..<eq].isEmpty
            {
                let key = String(token[..<eq])
                result[key] = String(token[token.index(after: eq)...])
                last = key
            } else if let k = last {
                result[k]! += ";" + token
            }
        }
        return result
    }
}
