import { describe, expect, it } from 'vitest';
import { parseMavenLine } from './maven-output';

describe('parseMavenLine', () => {
  it('shows downloaded jars by name and size', () => {
    const line =
      '[INFO] Downloaded from central: https://repo.maven.apache.org/maven2/org/apache/kafka/kafka_2.13/3.9.1/kafka_2.13-3.9.1.jar (4.7 MB at 13 MB/s)';
    expect(parseMavenLine(line)).toBe('downloaded kafka_2.13-3.9.1.jar (4.7 MB)');
  });

  it('keeps errors, warnings and the build result, without colour codes', () => {
    expect(parseMavenLine('\u001b[1;31m[ERROR]\u001b[m Failed to execute goal')).toBe('[ERROR] Failed to execute goal');
    expect(parseMavenLine('[INFO] BUILD SUCCESS')).toBe('BUILD SUCCESS');
  });

  it('hides pom downloads and chatter', () => {
    expect(parseMavenLine('[INFO] Downloaded from central: https://repo/x/y/z-1.pom (2 kB at 9 kB/s)')).toBeNull();
    expect(parseMavenLine('[INFO] Downloading from central: https://repo/x/y/z-1.jar')).toBeNull();
    expect(parseMavenLine('[INFO] Scanning for projects...')).toBeNull();
  });
});
