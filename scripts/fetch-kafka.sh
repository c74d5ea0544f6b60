#!/usr/bin/env bash
# Fetches Apache Kafka's broker jars (and a log4j backend, which the broker
# artifact does not bring) from Maven Central into a cache outside the repo.
# Prints the directory that holds the jars.
set -euo pipefail

KAFKA_VERSION="${KAFKA_VERSION:-3.9.1}"
SCALA_VERSION="${SCALA_VERSION:-2.13}"
CACHE="${TODO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/todo-suite}"
dir="$CACHE/kafka/$KAFKA_VERSION"
if [ -f "$dir/.complete" ]; then echo "$dir/libs"; exit 0; fi

echo "fetch-kafka: fetching Kafka $KAFKA_VERSION jars from Maven Central (once)" >&2
mkdir -p "$dir/libs"
cat > "$dir/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.todo</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_$SCALA_VERSION</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
POM
(cd "$dir" && mvn -B -q -f pom.xml dependency:copy-dependencies \
    -DoutputDirectory="$dir/libs" -DincludeScope=runtime) >&2
touch "$dir/.complete"
echo "$dir/libs"
