// The current-Lucene column of `make bench`: Lucene 9.12 from Maven Central with the Stempel
// Polish analyzer, BM25 with block-max WAND top-k (the default collector), and the
// UnifiedHighlighter over offsets stored in the postings (one passage per hit).
//
//   java -cp <jars>:<classes> Lucene9Bench build ARTICLES.tsv INDEX_DIR
//   java -cp <jars>:<classes> Lucene9Bench query INDEX_DIR QUERIES.tsv
//
// Same input and output as Lucene4Bench.
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.pl.PolishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.FieldType;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexOptions;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.uhighlight.DefaultPassageFormatter;
import org.apache.lucene.search.uhighlight.UnifiedHighlighter;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

public class Lucene9Bench {
    static final float TITLE_BOOST = 2.0f;

    public static void main(String[] args) throws Exception {
        if (args[0].equals("build")) build(args[1], Paths.get(args[2]));
        else query(Paths.get(args[1]), args[2]);
    }

    static void build(String articlesFile, Path indexDir) throws Exception {
        Analyzer analyzer = new PolishAnalyzer();
        Directory dir = FSDirectory.open(indexDir);
        FieldType withOffsets = new FieldType(TextField.TYPE_STORED);
        withOffsets.setIndexOptions(IndexOptions.DOCS_AND_FREQS_AND_POSITIONS_AND_OFFSETS);
        withOffsets.freeze();

        long started = System.nanoTime();
        IndexWriterConfig config = new IndexWriterConfig(analyzer);
        config.setOpenMode(IndexWriterConfig.OpenMode.CREATE);
        config.setRAMBufferSizeMB(256);
        int articles = 0;
        try (IndexWriter writer = new IndexWriter(dir, config);
             BufferedReader in = Files.newBufferedReader(Paths.get(articlesFile), StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] f = line.split("\t", 3);
                Document doc = new Document();
                doc.add(new StringField("id", f[0], Field.Store.YES));
                doc.add(new TextField("title", f[1], Field.Store.YES));
                doc.add(new Field("body", f[2], withOffsets));
                writer.addDocument(doc);
                articles++;
            }
        }
        double buildSeconds = (System.nanoTime() - started) / 1e9;

        System.out.println(BenchIO.buildJson("lucene-9.12", articles, buildSeconds, indexDir));
    }

    static void query(Path indexDir, String queriesFile) throws Exception {
        Analyzer analyzer = new PolishAnalyzer();
        DirectoryReader reader = DirectoryReader.open(FSDirectory.open(indexDir));
        IndexSearcher searcher = new IndexSearcher(reader);
        UnifiedHighlighter highlighter = UnifiedHighlighter.builder(searcher, analyzer)
            .withFormatter(new DefaultPassageFormatter("<mark>", "</mark>", "… ", true))
            .build();
        Map<String, double[]> times = BenchIO.time(BenchIO.readQueries(queriesFile),
                                                   text -> run(searcher, highlighter, analyzer, text));
        System.out.println(BenchIO.timesJson("lucene-9.12", times));
        reader.close();
    }

    static int run(IndexSearcher searcher, UnifiedHighlighter highlighter, Analyzer analyzer,
                   String text) throws Exception {
        BooleanQuery.Builder builder = new BooleanQuery.Builder();
        for (String term : terms(analyzer, text)) {
            builder.add(new BoostQuery(new TermQuery(new Term("title", term)), TITLE_BOOST),
                        BooleanClause.Occur.SHOULD);
            builder.add(new TermQuery(new Term("body", term)), BooleanClause.Occur.SHOULD);
        }
        Query query = builder.build();
        TopDocs top = searcher.search(query, 10);
        String[] fragments = highlighter.highlight("body", query, top, 1);
        int chars = 0;
        for (String f : fragments) chars += f == null ? 0 : f.length();
        return chars;
    }

    static List<String> terms(Analyzer analyzer, String text) throws IOException {
        List<String> out = new ArrayList<>();
        try (TokenStream ts = analyzer.tokenStream("body", text)) {
            CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
            ts.reset();
            while (ts.incrementToken()) {
                String t = term.toString();
                if (!out.contains(t)) out.add(t);
            }
            ts.end();
        }
        return out;
    }
}
