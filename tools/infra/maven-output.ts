/** Which Maven output lines are worth showing while the jars download (everything goes to mvn.log). */

// eslint-disable-next-line no-control-regex -- Maven 3.8 prints stray ANSI resets even in batch mode
const ANSI = /\u001b\[[0-9;]*m/g;
const DOWNLOADED_JAR = /Downloaded from [^:]+: \S*\/([^/\s]+\.jar) \(([^,)]+?)(?:,| at |\))/;
const PROBLEM = /^\[(ERROR|WARNING)\]/;

/** A short line to show for one line of Maven output, or null to keep it in the log only. */
export const parseMavenLine = (raw: string): string | null => {
  const line = raw.replace(ANSI, '').trimEnd();
  const jar = DOWNLOADED_JAR.exec(line);
  if (jar !== null) return `downloaded ${jar[1]} (${jar[2]})`;
  if (PROBLEM.test(line)) return line;
  if (line.includes('BUILD SUCCESS') || line.includes('BUILD FAILURE')) return line.replace(/^\[INFO\] /, '');
  return null;
};
