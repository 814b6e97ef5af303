/*
 * Java's side of ferroconnect's golden lines for SimpleDateFormat, which Kafka's TimestampConverter
 * (its `format`) and Cast (`Values.dateFormatFor`) use: patterns formatted and (leniently) parsed in
 * UTC, in an English locale, as Kafka does with a JVM whose default locale is English.
 *
 * Line kinds (tab-separated):
 *   F  pattern  epoch-millis  text                      (format)
 *   P  pattern  text          epoch-millis | ERR        (parse; ERR where parse throws)
 *
 * The Rust side (rust/core/src/transforms/date_format.rs) must give every line's result.
 *
 *   java SimpleDateFormatGolden print                 (the golden file's lines)
 *   java SimpleDateFormatGolden check <golden file>   (exit 1 when a line is not Java's)
 */

import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.text.SimpleDateFormat;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.TimeZone;

public class SimpleDateFormatGolden {
    static final String[] PATTERNS = {
        "yyyy-MM-dd'T'HH:mm:ss.SSSZ", "yyyy MM dd HH mm ss SSS z", "yyyyMMddHHmmss",
        "EEE, d MMM yyyy HH:mm:ss Z", "G yyyy-MM-dd", "D w W F u E EEEE MMMM Y",
        "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "kk KK hh HH a X XX", "yyyyy.MMMMM.dd GGG hh:mm aaa zzzz",
        "dd/MM/yyyy", "YYYY-'W'ww-u", "HH:mm:ss.SSS'Z'", "yyyy-MM-dd", "y-M-d H:m:s.S",
        "YYYY-MM-dd", "yyyy-DDD", "yyyy-MM F E", "yyyy ww E", "''yyyy''MM 'o''clock'", "LLL yyyy",
    };

    /** Unparseable, lenient, blank-led, zoned, Julian and overflowing texts. */
    static final String[] TEXTS = {
        "2024-01-15T12:34:56.789+0100", "2023-13-45T25:61:61.999-0000", " 2024-1-5T1:2:3.4+0000",
        "1970 01 02 00 00 01 234 UTC", "1970 01 02 00 00 01 234 utc", "1970 01 02 00 00 01 234 GMT+01:00",
        "20240115123456", "2024011512345", "Mon, 15 Jan 2024 12:34:56 +0530",
        "monday, 15 january 2024 12:34:56 -0800", "AD 2024-01-15", "BC 0044-03-15", "15/01/2024",
        "32/13/2024", "-5/-3/-100", "2024-02-30", "1582-10-10", "1582-10-04", "0000-01-01",
        "2024-01-01junk", "+2024-01-01", "2024 -01-01", "1E3-01-01", "NaN-01-01", "99999999999-01-01",
        "2000-W10-2", "2014-12-11", "12:34:56.789Z", "Jan 2024", "x",
    };

    static SimpleDateFormat format(String pattern) {
        SimpleDateFormat format = new SimpleDateFormat(pattern, Locale.US);
        format.setTimeZone(TimeZone.getTimeZone("UTC"));
        return format;
    }

    static List<Long> instants() {
        List<Long> instants = new ArrayList<>(List.of(0L, -1L, 86_400_000L, 1_705_322_096_789L,
            1_735_603_200_000L, -12_219_292_800_000L, -12_219_292_800_001L, -62_135_769_600_001L,
            Long.MIN_VALUE, Long.MAX_VALUE));
        Random random = new Random(20241130);
        for (int i = 0; i < 8; i++) instants.add(random.nextLong());
        for (int i = 0; i < 12; i++) instants.add((long) (random.nextGaussian() * 2e13));
        return instants;
    }

    static List<String> lines() {
        List<String> lines = new ArrayList<>();
        List<Long> instants = instants();
        for (String pattern : PATTERNS) {
            SimpleDateFormat format = format(pattern);
            for (long instant : instants) {
                lines.add("F\t" + pattern + "\t" + instant + "\t" + format.format(new Date(instant)));
            }
        }
        for (String pattern : PATTERNS) {
            SimpleDateFormat format = format(pattern);
            List<String> texts = new ArrayList<>(List.of(TEXTS));
            for (int i = 0; i < instants.size(); i += 5) texts.add(format.format(new Date(instants.get(i))));
            for (String text : texts) lines.add("P\t" + pattern + "\t" + text + "\t" + parse(format, text));
        }
        return lines;
    }

    static String parse(SimpleDateFormat format, String text) {
        try {
            return Long.toString(format.parse(text).getTime());
        } catch (ParseException e) {
            return "ERR";
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("print")) {
            lines().forEach(System.out::println);
            return;
        }
        if (args.length != 2 || !args[0].equals("check")) {
            System.err.println("usage: SimpleDateFormatGolden print | check <golden file>");
            System.exit(2);
        }
        int bad = 0;
        int total = 0;
        for (String line : Files.readAllLines(Path.of(args[1]))) {
            if (line.isBlank() || line.startsWith("#")) continue;
            String[] cols = line.split("\t", -1);
            SimpleDateFormat format = format(cols[1]);
            String got = cols[0].equals("F") ? format.format(new Date(Long.parseLong(cols[2]))) : parse(format, cols[2]);
            total++;
            if (!got.equals(cols[3])) {
                bad++;
                System.out.println("mismatch " + line + " java=" + got);
            }
        }
        System.out.println("checked " + total + " lines, " + bad + " mismatched");
        System.exit(bad == 0 ? 0 : 1);
    }
}
