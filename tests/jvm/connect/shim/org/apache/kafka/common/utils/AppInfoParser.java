/*
 * A test-only bridge, ours: connect-file 4.4.0 is not on Maven Central, and connect-file 4.3.1's
 * FileStream connectors call org.apache.kafka.common.utils.AppInfoParser, which Kafka 4.4 moved
 * to org.apache.kafka.common.utils.internals. This class answers the old name by asking the new
 * one, so that Java Connect 4.4.0 can run Kafka's FileStream connectors beside ferroconnect's.
 * Compiled and put on Java Connect's classpath by scripts/java_connect.py; never in the product.
 */
package org.apache.kafka.common.utils;

public final class AppInfoParser {
    private AppInfoParser() {
    }

    public static String getVersion() {
        return org.apache.kafka.common.utils.internals.AppInfoParser.getVersion();
    }

    public static String getCommitId() {
        return org.apache.kafka.common.utils.internals.AppInfoParser.getCommitId();
    }
}
