import QuernConformance
import QuernCore

/// What the conformance suites need to know about the built-ins beyond the table: inputs in each
/// format, an example for each extractor, and options worth checking besides the defaults.
enum BuiltInExamples {
    /// Levels besides the defaults and the bounds the codec suite checks anyway.
    static let codecSpecs = ["zlib:6", "lz4:3", "zstd:3", "zstd:19"]

    /// The real command-line tools of each compressed input format.
    static let streamTools = [
        "gz": "gzip -c plain.txt", "zst": "zstd -q -c plain.txt", "zstd": "zstd -q -c plain.txt",
        "lz4": "lz4 -q -c plain.txt",
    ]

    static let mergeSpecs = ["shuffle:buckets=7", "dedupe:keys=action", "balance:per_class=3", "balance:mode=min"]

    static let formats: [InputFormatConformance.Sample] = [
        .init(
            format: "csv", text: "id,x,s\ng1,1.5,\"a,b\"\ng2,-2,\"two\nlines\"\n\ng3,,\"\"\"q\"\"\"\n",
            columns: ["id", "x", "s"],
            rows: [["g1", "1.5", "a,b"], ["g2", "-2", "two\nlines"], ["g3", "", "\"q\""]], lines: [2, 3, 6],
            broken: "a,b\n1,2\n3,\"open\n", brokenLine: 3),
        .init(
            format: "csv", options: ["delimiter": .scalar(";")], text: "a;b\n1,5;x\n", columns: ["a", "b"],
            rows: [["1,5", "x"]], lines: [2],
            broken: "a;b\n1;2\n3;\"x\"y\n", brokenLine: 3),
        .init(
            format: "tsv", text: "id\tx\ng1\t1.5\ng2\t\"q\"\n", columns: ["id", "x"],
            rows: [["g1", "1.5"], ["g2", "\"q\""]], lines: [2, 3],
            broken: "a\tb\n1\t2\n3\t4\t5\n", brokenLine: 3),
        .init(
            format: "jsonl", text: "{\"id\": \"g1\", \"x\": 1.5, \"tags\": [1, 3]}\n\n{\"x\": -2, \"id\": \"g2\"}\n",
            columns: ["id", "x", "tags"], rows: [["g1", "1.5", "1;3"], ["g2", "-2", ""]], lines: [1, 3],
            broken: "{\"a\": 0}\n{\"a\": 1,}\n", brokenLine: 2),
        // Bad games are records (the hex extractor fails them one by one); only a file that is
        // not text (a NUL byte) is broken.
        .init(
            format: "trmph",
            text: "http://www.trmph.com/hex/board#13,a1b2c3d4 1\n\n#5,a10b2\n  7,c3 2  \r\nnot a game\n",
            columns: ["size=13", "moves", "winner"],
            rows: [["13", "a1b2c3d4", "1"], ["5", "a10b2", ""], ["7", "c3", "2"], ["not", "", "a game"]],
            lines: [1, 3, 4, 5],
            broken: "#3,a1 1\n#3,b\u{0}2 2\n", brokenLine: 2),
        // Binary: a small AnnData file written by anndata (Fixtures/make_cells_h5ad.py), read by
        // its path. Text fields are the cell id and obs; the genes are each record's block.
        .init(
            format: "h5ad", file: fixture("cells.h5ad"),
            columns: ["obs_names", "age", "donor", "note", "CD3E", "CD4", "ACTB"],
            rows: [
                ["c1", "31", "d1", "a"], ["c2", "45", "d2", "b,c"], ["c3", "52", "d1", ""], ["c4", "60", "d2", "d"],
            ],
            lines: [1, 2, 3, 4], blocks: [[0, 1.5, 0], [2, 0, 0], [0, 0, 0], [0.25, 3, 4]]),
    ]

    /// A file of Tests/PluginTests/Fixtures.
    static func fixture(_ name: String) -> String {
        let here = #filePath
        return String(here[..<here.range(of: "/", options: .backwards)!.lowerBound]) + "/Fixtures/" + name
    }

    static let extractors: [ExtractorConformance.Example] = [
        .init(
            extractor: "tabular",
            options: """
                numeric: ["f*", turn]
                fill_missing: -1
                categorical:
                  phase: [early, mid, late]
                labels:
                  action: {column: action, classes: 5}
                  kind: {column: kind, values: [cat, dog]}
                masks:
                  legal: {column: legal, width: 5, encoding: bitstring, label: action}
                  ids: {column: ids, width: 4, encoding: ids}
                group: game
                """,
            csv: """
                game,f2,turn,f1,phase,action,kind,legal,ids
                g1,1.5,0,2,early,3,dog,00010,0;2
                g1,,1,-4e-1,late,4,cat,11111,
                g2,7,2,8,noon,1,cat,01000,3
                g2,7,3,8,mid,,cat,01000,3
                g3,7,4,8,mid,9,cat,01000,3
                g3,7,5,8,mid,1,cow,01000,3
                """,
            malformed: ["g1,seven,0,2,early,3,dog,00010,0;2", "g1,1.5,0,2,early,3,dog,0001,0;2"]),
        .init(
            extractor: "hashed", options: "numeric: [x]\nhash_columns: [city, text]\nbuckets: 16\ntokens: true\n",
            csv: "x,city,text\n1,paris,a b c\n2,,a a\n", malformed: ["1e39,rome,b"]),
        // Several rows per record (a game's positions), skipped games (no winner, no moves) and
        // failed ones (off the board, a cell twice, a bad winner, another size).
        .init(
            extractor: "hex", options: "positions: all\nmax_per_game: 2\n",
            csv: "size=5,moves,winner\n5,a1b2c3,1\n5,e5a2,2\n5,,1\n5,c3,\n5,a1a1,1\n5,f1,1\n5,a1,3\n4,a1,1\n"),
        .init(extractor: "hex", options: "positions: penultimate\nsize: 5\n", csv: "size=9,moves,winner\n5,a1b2c3,2\n"),
        // A program of the user's (here inline Python): rows with a feature, a label head, a
        // group and a result; a skip, a failed record, and one it dies on (twice: the file fails).
        .init(
            extractor: "command", options: commandExampleOptions,
            csv: "url,title\nu1,hello world\nu2,\nu3,bad\nu4,hi\nu5,another title\n", malformed: ["u6,die"]),
        // Text gene columns with ties, a cell with no expressed gene, an unknown label (skipped).
        .init(
            extractor: "rank_genes",
            options:
                "genes: [\"g*\"]\ntop_genes: 3\nnormalize_total: true\nnumeric: [depth]\nlabels:\n  age: {column: age, values: [young, old]}\ngroup: donor\n",
            csv:
                "donor,age,depth,g1,g2,g3,g4\nd1,young,10,0,5,5,1\nd1,old,3,0,0,0,0\nd2,old,7,2,,9,2\nd2,adult,1,1,1,1,1\n",
            malformed: ["d1,young,10,0,five,5,1"]),
    ]

    /// The `command` example's options: a worker in a few lines of Python, started with `-c`.
    static let commandExampleOptions = #"""
        command:
          - /usr/bin/python3
          - -c
          - |
            import sys, json
            sys.stdin.readline()
            def say(o): print(json.dumps(o), flush=True)
            say({'protocol': 'quern-command', 'version': 1, 'features': ['length'],
                 'labels': [{'name': 'long', 'classes': 2}], 'groups': True})
            for line in sys.stdin:
                t = json.loads(line)['record']['title'] or ''
                if t == 'die': sys.exit(3)
                if not t: say({'skip': 'no title'}); continue
                if t == 'bad': say({'error': 'bad title', 'cost': 1}); continue
                say({'features': [len(t)], 'labels': {'long': int(len(t) > 5)}, 'group': t[:1],
                     'result': {'t': t}, 'cost': 0.5})
        columns: [title]
        """#
}
