using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Options;

namespace Crm.Jobs.Backups;

/// <summary>The optional S3-compatible copy: every dump and media file, under Backups:S3:Prefix.</summary>
public sealed class BackupBucket(IOptions<BackupOptions> options) : IDisposable
{
    private readonly Lazy<IAmazonS3> _client = new(() => Create(options.Value.S3));

    public bool Enabled => options.Value.S3.Enabled;

    public async Task UploadAsync(string key, string file, string contentType, CancellationToken cancellationToken)
    {
        var s3 = options.Value.S3;
        await _client.Value.PutObjectAsync(
            // A plain signed body rather than aws-chunked: a file is seekable, and not every S3-compatible store takes chunked uploads.
            new PutObjectRequest { BucketName = s3.Bucket, Key = s3.Prefix + key, FilePath = file, ContentType = contentType, UseChunkEncoding = false },
            cancellationToken);
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var s3 = options.Value.S3;
        await _client.Value.DeleteObjectAsync(new DeleteObjectRequest { BucketName = s3.Bucket, Key = s3.Prefix + key }, cancellationToken);
    }

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Dispose();
        }
    }

    private static AmazonS3Client Create(BackupBucketOptions s3)
    {
        var config = new AmazonS3Config
        {
            ServiceURL = s3.ServiceUrl,
            AuthenticationRegion = s3.Region,
            // Spaces and MinIO serve buckets by path; the SDK's default trailing checksums are not supported by every S3-compatible store.
            ForcePathStyle = true,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        AWSCredentials credentials = string.IsNullOrEmpty(s3.AccessKey) ? new AnonymousAWSCredentials() : new BasicAWSCredentials(s3.AccessKey, s3.SecretKey);
        return new AmazonS3Client(credentials, config);
    }
}
