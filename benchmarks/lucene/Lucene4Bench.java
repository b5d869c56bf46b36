// The Lucene 4.10 column of `make bench`: Debian's liblucene4.10-java with the Stempel Polish
// analyzer (what Elasticsearch's analysis-stempel plugin used), BM25, and the classic
// Highlighter (one fragment per hit, re-analysing the stored text, as Elasticsearch's plain
// highlighter did).
//
//   java -cp <jars>:<classes> Lucene4Bench ARTICLES.tsv INDEX_DIR QUERIES.tsv
//
// ARTICLES.tsv: id, title, body per line (tabs and line breaks replaced by spaces).
// QUERIES.tsv: class, query per line. Prints one JSON object: build seconds, index size,
// and for each query class the per-query best of 3 times (milliseconds).
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.highlight.Highlighter;
import org.apache.lucene.search.highlight.QueryScorer;
import org.apache.lucene.search.highlight.SimpleHTMLFormatter;
import org.apache.lucene.search.highlight.SimpleSpanFragmenter;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Version;

public class Lucene4Bench {
    static final Version V = Version.LUCENE_4_10_4;
    static final float TITLE_BOOST = 2.0f;

    public static void main(String[] args) throws Exception {
        Analyzer analyzer = new PolishAnalyzer(V);
        File indexDir = new File(args[1]);
        Directory dir = FSDirectory.open(indexDir);

        long started = System.nanoTime();
        IndexWriterConfig config = new IndexWriterConfig(V, analyzer);
        config.setOpenMode(IndexWriterConfig.OpenMode.CREATE);
        config.setSimilarity(new BM25Similarity());
        config.setRAMBufferSizeMB(256);
        int articles = 0;
        try (IndexWriter writer = new IndexWriter(dir, config);
             BufferedReader in = Files.newBufferedReader(Paths.get(args[0]), StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] f = line.split("\t", 3);
                Document doc = new Document();
                doc.add(new StringField("id", f[0], Field.Store.YES));
                doc.add(new TextField("title", f[1], Field.Store.YES));
                doc.add(new TextField("body", f[2], Field.Store.YES));
                writer.addDocument(doc);
                articles++;
            }
        }
        double buildSeconds = (System.nanoTime() - started) / 1e9;

        DirectoryReader reader = DirectoryReader.open(dir);
        IndexSearcher searcher = new IndexSearcher(reader);
        searcher.setSimilarity(new BM25Similarity());
        Map<String, List<String>> queries = BenchIO.readQueries(args[2]);
        // Warm-up: every query twice, then timed rounds.
        for (int round = 0; round < 2; round++)
            for (List<String> list : queries.values())
                for (String q : list) run(searcher, analyzer, q);
        Map<String, double[]> times = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> e : queries.entrySet()) {
            double[] best = new double[e.getValue().size()];
            for (int i = 0; i < best.length; i++) {
                best[i] = Double.MAX_VALUE;
                for (int k = 0; k < 3; k++) {
                    long t = System.nanoTime();
                    run(searcher, analyzer, e.getValue().get(i));
                    best[i] = Math.min(best[i], (System.nanoTime() - t) / 1e6);
                }
            }
            times.put(e.getKey(), best);
        }
        System.out.println(BenchIO.json("lucene-4.10", articles, buildSeconds, indexDir.toPath(), times));
        reader.close();
    }

    static int run(IndexSearcher searcher, Analyzer analyzer, String text) throws Exception {
        BooleanQuery query = new BooleanQuery();
        for (String term : terms(analyzer, text)) {
            TermQuery title = new TermQuery(new Term("title", term));
            title.setBoost(TITLE_BOOST);
            query.add(title, BooleanClause.Occur.SHOULD);
            query.add(new TermQuery(new Term("body", term)), BooleanClause.Occur.SHOULD);
        }
        TopDocs top = searcher.search(query, 10);
        QueryScorer scorer = new QueryScorer(query, "body");
        Highlighter highlighter = new Highlighter(new SimpleHTMLFormatter("<mark>", "</mark>"), scorer);
        highlighter.setTextFragmenter(new SimpleSpanFragmenter(scorer, 200));
        int chars = 0;
        for (ScoreDoc hit : top.scoreDocs) {
            Document doc = searcher.doc(hit.doc);
            String fragment = highlighter.getBestFragment(analyzer, "body", doc.get("body"));
            chars += fragment == null ? 0 : fragment.length();
        }
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
