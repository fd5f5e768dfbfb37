// s3rver's internal modules that local/s3rver-multipart.ts extends; typed there, where they are used.
declare module 's3rver/lib/routes.js' {
  const router: unknown;
  export default router;
}
declare module 's3rver/lib/models/error.js' {
  const S3Error: unknown;
  export default S3Error;
}
