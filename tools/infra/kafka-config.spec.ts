import { describe, expect, it } from 'vitest';
import {
  brokerArgs,
  escapePropertyValue,
  randomClusterId,
  renderLog4jProperties,
  renderServerProperties,
  storageFormatArgs,
} from './kafka-config';

const parse = (text: string): Map<string, string> =>
  new Map(
    text
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const),
  );

describe('renderServerProperties', () => {
  const properties = parse(renderServerProperties({ port: 40123, controllerPort: 40124, dataDir: '/tmp/run-1/kafka-data' }));

  it('describes a single KRaft node that is broker and controller on loopback', () => {
    expect(properties.get('process.roles')).toBe('broker,controller');
    expect(properties.get('node.id')).toBe('1');
    expect(properties.get('controller.quorum.voters')).toBe('1@127.0.0.1:40124');
    expect(properties.get('listeners')).toBe('PLAINTEXT://127.0.0.1:40123,CONTROLLER://127.0.0.1:40124');
    expect(properties.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:40123');
    expect(properties.get('controller.listener.names')).toBe('CONTROLLER');
    expect(properties.get('inter.broker.listener.name')).toBe('PLAINTEXT');
    expect(properties.get('listener.security.protocol.map')).toBe('PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT');
    expect(properties.get('log.dirs')).toBe('/tmp/run-1/kafka-data');
  });

  it('sizes internal topics for one node and leaves topic creation to the apps', () => {
    expect(Object.fromEntries(properties)).toMatchObject({
      'offsets.topic.replication.factor': '1',
      'offsets.topic.num.partitions': '3',
      'transaction.state.log.replication.factor': '1',
      'transaction.state.log.min.isr': '1',
      'min.insync.replicas': '1',
      'group.initial.rebalance.delay.ms': '0',
      'num.partitions': '3',
      'auto.create.topics.enable': 'false',
    });
  });

  it('writes each key once', () => {
    const keys = renderServerProperties({ port: 1, controllerPort: 2, dataDir: '/d' })
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => line.split('=')[0]);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('escapePropertyValue', () => {
  it('escapes what java.util.Properties would misread', () => {
    expect(escapePropertyValue('C:\\data')).toBe('C:\\\\data');
    expect(escapePropertyValue('a\nb')).toBe('a\\nb');
    expect(escapePropertyValue(' lead')).toBe('\\ lead');
    expect(escapePropertyValue('/plain/path:9092')).toBe('/plain/path:9092');
  });
});

describe('renderLog4jProperties', () => {
  it('sends the root logger to the given file', () => {
    const properties = parse(renderLog4jProperties('/tmp/run-1/kafka.log'));
    expect(properties.get('log4j.rootLogger')).toBe('INFO, file');
    expect(properties.get('log4j.appender.file.File')).toBe('/tmp/run-1/kafka.log');
  });
});

describe('randomClusterId', () => {
  it('is 16 bytes of unpadded base64url', () => {
    expect(randomClusterId()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });

  it('never starts with "-" (it would read as an option)', () => {
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x01)];
    const id = randomClusterId(() => draws.shift() ?? Buffer.alloc(16, 0x02));
    expect(Buffer.alloc(16, 0xf8).toString('base64url').startsWith('-')).toBe(true);
    expect(id).toBe(Buffer.alloc(16, 0x01).toString('base64url'));
  });
});

describe('JVM command lines', () => {
  const paths = { libsDir: '/cache/libs', log4jFile: '/run/log4j.properties', propertiesFile: '/run/server.properties' };

  it('formats storage with StorageTool and the cluster id', () => {
    const args = storageFormatArgs(paths, 'abc', ['-XX:SharedArchiveFile=/a.jsa']);
    expect(args.slice(-6)).toEqual(['kafka.tools.StorageTool', 'format', '-t', 'abc', '-c', '/run/server.properties']);
    expect(args).toContain('/cache/libs/*');
    expect(args).toContain('-XX:SharedArchiveFile=/a.jsa');
  });

  it('runs kafka.Kafka with the heap, the log4j file and the marker the CLI recognises', () => {
    const args = brokerArgs(paths);
    expect(args).toEqual(expect.arrayContaining(['-Xmx512m', '-Xms256m', '-Dlog4j.configuration=file:/run/log4j.properties']));
    expect(args).toContain('-Dtributary.infra=/run/server.properties');
    expect(args.slice(-2)).toEqual(['kafka.Kafka', '/run/server.properties']);
  });
});
