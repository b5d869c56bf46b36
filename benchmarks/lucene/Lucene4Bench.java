// The Lucene 4.10 column of `make bench`: Debian's liblucene4.10-java with the Stempel Polish
// analyzer (what Elasticsearch's analysis-stempel plugin used), BM25, and the classic
// Highlighter (one fragment per hit, re-analysing the stored text, as Elasticsearch's plain
// highlighter did).
//
//   java -cp <jars>:<classes> Lucene4Bench build ARTICLES.tsv INDEX_DIR
//   java -cp <jars>:<classes> Lucene4Bench query INDEX_DIR QUERIES.tsv
//
// ARTICLES.tsv: id, title, body per line (tabs and line breaks replaced by spaces).
// QUERIES.tsv: class, query per line. Each prints one JSON object: `build` its build seconds
// (its own timer: from before the writer opens to after it closes) and the index size;
// `query` for each query class the per-query best of 3 times (milliseconds). Two commands, so
// that the build can also be timed as a whole command, as the project's rebuild is.
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
        if (args[0].equals("build")) build(args[1], new File(args[2]));
        else query(new File(args[1]), args[2]);
    }

    static void build(String articlesFile, File indexDir) throws Exception {
        Analyzer analyzer = new PolishAnalyzer(V);
        Directory dir = FSDirectory.open(indexDir);
        long started = System.nanoTime();
        IndexWriterConfig config = new IndexWriterConfig(V, analyzer);
        config.setOpenMode(IndexWriterConfig.OpenMode.CREATE);
        config.setSimilarity(new BM25Similarity());
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
                doc.add(new TextField("body", f[2], Field.Store.YES));
                writer.addDocument(doc);
                articles++;
            }
        }
        double buildSeconds = (System.nanoTime() - started) / 1e9;
        System.out.println(BenchIO.buildJson("lucene-4.10", articles, buildSeconds, indexDir.toPath()));
    }

    static void query(File indexDir, String queriesFile) throws Exception {
        Analyzer analyzer = new PolishAnalyzer(V);
        DirectoryReader reader = DirectoryReader.open(FSDirectory.open(indexDir));
        IndexSearcher searcher = new IndexSearcher(reader);
        searcher.setSimilarity(new BM25Similarity());
        Map<String, double[]> times = BenchIO.time(BenchIO.readQueries(queriesFile),
                                                   text -> run(searcher, analyzer, text));
        System.out.println(BenchIO.timesJson("lucene-4.10", times));
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
