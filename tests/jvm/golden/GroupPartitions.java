import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.connect.util.ConnectorUtils;

/**
 * Prints Kafka's ConnectorUtils.groupPartitions for every (elements, groups) with 0..12 elements and
 * -1..8 groups, one line each: "n g -> [[0, 1], [2]]" or "n g -> IllegalArgumentException: <message>".
 */
public class GroupPartitions {
    public static void main(String[] args) {
        for (int n = 0; n <= 12; n++) {
            List<Integer> elements = new ArrayList<>();
            for (int i = 0; i < n; i++) elements.add(i);
            for (int g = -1; g <= 8; g++) {
                String result;
                try {
                    result = ConnectorUtils.groupPartitions(elements, g).toString();
                } catch (IllegalArgumentException e) {
                    result = "IllegalArgumentException: " + e.getMessage();
                }
                System.out.println(n + " " + g + " -> " + result);
            }
        }
    }
}
