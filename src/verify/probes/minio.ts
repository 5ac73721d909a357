import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { Probe, ProbeTarget } from "../probe.js";

/** A bucket created, an object put and got back with the AWS S3 client, both deleted. */
export const minioProbe: Probe = {
  what: "create a bucket, put an object, get it back",
  hint: "`deloc logs minio`; the access key is MINIO_ROOT_USER, the secret is in .deloc/secrets.env.",
  async run(t) {
    const s3 = s3Client(t);
    const bucket = `deloc-verify-${Date.now().toString(36)}`;
    const body = "written by deloc verify";
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }), { abortSignal: t.signal });
      await s3.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: t.signal });
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "probe.txt", Body: body }), {
        abortSignal: t.signal,
      });
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "probe.txt" }), {
        abortSignal: t.signal,
      });
      const text = await got.Body?.transformToString();
      if (text !== body) throw new Error(`read back ${JSON.stringify(text)}`);
      return `put and got s3://${bucket}/probe.txt (${body.length} bytes)`;
    } finally {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "probe.txt" })).catch(() => undefined);
      await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
      s3.destroy();
    }
  },
};

/** An S3 client of the service's published port, with its root credentials (its MINIO_ROOT_* env). */
export function s3Client(t: ProbeTarget): S3Client {
  // The SDK warns on stderr about the Node versions its future releases need: not this user's concern.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const { host, port } = t.address("s3");
  return new S3Client({
    endpoint: `http://${host}:${port}`,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: {
      accessKeyId: t.env.MINIO_ROOT_USER ?? "",
      secretAccessKey: t.env.MINIO_ROOT_PASSWORD ?? "",
    },
    maxAttempts: 2,
  });
}

/** Deletes every object of a bucket, then the bucket: what a flow leaves behind. */
export async function emptyBucket(s3: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length === 0) break;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}
