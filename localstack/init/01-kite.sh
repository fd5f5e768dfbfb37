#!/usr/bin/env bash
# LocalStack ready hook: the documents bucket (with browser CORS) and the classify queue with its dead-letter queue,
# matching what `npm start` creates on its emulators. Idempotent: safe on every container start.
set -euo pipefail

bucket="${KITE_BUCKET:-kite-local-documents}"
queue="${KITE_QUEUE:-kite-local-classify}"
max_receive="${KITE_MAX_RECEIVE_COUNT:-3}"
origins="${KITE_ALLOWED_ORIGINS:-*}"

awslocal s3api head-bucket --bucket "$bucket" 2>/dev/null || awslocal s3api create-bucket --bucket "$bucket"

origins_json=$(printf '%s' "$origins" | awk -F, '{for (i = 1; i <= NF; i++) printf "%s\"%s\"", (i > 1 ? "," : ""), $i}')
awslocal s3api put-bucket-cors --bucket "$bucket" --cors-configuration "{
  \"CORSRules\": [{
    \"AllowedOrigins\": [${origins_json}],
    \"AllowedMethods\": [\"PUT\", \"POST\", \"GET\", \"HEAD\", \"DELETE\"],
    \"AllowedHeaders\": [\"*\"],
    \"ExposeHeaders\": [\"ETag\", \"x-amz-error-code\"],
    \"MaxAgeSeconds\": 3000
  }]
}"

dlq_url=$(awslocal sqs create-queue --queue-name "${queue}-dlq" \
  --attributes MessageRetentionPeriod=1209600 --query QueueUrl --output text)
dlq_arn=$(awslocal sqs get-queue-attributes --queue-url "$dlq_url" \
  --attribute-names QueueArn --query Attributes.QueueArn --output text)
awslocal sqs create-queue --queue-name "$queue" --attributes "{
  \"VisibilityTimeout\": \"720\",
  \"RedrivePolicy\": \"{\\\"deadLetterTargetArn\\\":\\\"${dlq_arn}\\\",\\\"maxReceiveCount\\\":\\\"${max_receive}\\\"}\"
}" >/dev/null

echo "kite: bucket ${bucket} and queue ${queue} (DLQ after ${max_receive} receives) ready"
