using Microsoft.EntityFrameworkCore;

namespace Crm.Data.Importing;

/// <summary>
/// An import's uploaded file, kept in the database in chunks: stored with its job, read back as a stream one chunk
/// at a time (memory stays at one chunk whatever the file's size), and deleted once the import is done.
/// </summary>
public sealed class ImportFiles(CrmDbContext db)
{
    public const int ChunkBytes = 1024 * 1024;

    /// <summary>Stores the file in the caller's unit of work (the job must be added first); each chunk is saved and let go as it is read.</summary>
    public async Task StoreAsync(Guid jobId, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var buffer = new byte[ChunkBytes];
        for (var seq = 0; ; seq++)
        {
            var read = await content.ReadAtLeastAsync(buffer, ChunkBytes, throwOnEndOfStream: false, cancellationToken);
            if (read == 0)
            {
                return;
            }

            var chunk = new ImportFileChunk { JobId = jobId, Seq = seq, Data = buffer[..read] };
            db.ImportFileChunks.Add(chunk);
            await db.SaveChangesAsync(cancellationToken);
            db.Entry(chunk).State = EntityState.Detached;
        }
    }

    /// <summary>The file from its first byte; reads between the caller's units of work, on the same context.</summary>
    public Stream OpenRead(Guid jobId) => new ChunkStream(db, jobId);

    public Task DeleteAsync(Guid jobId, CancellationToken cancellationToken) =>
        db.ImportFileChunks.Where(c => c.JobId == jobId).ExecuteDeleteAsync(cancellationToken);

    private sealed class ChunkStream(CrmDbContext db, Guid jobId) : Stream
    {
        private byte[] _chunk = [];
        private int _offset;
        private int _next;
        private bool _ended;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (_offset == _chunk.Length && !_ended)
            {
                var seq = _next++;
                var data = await db.ImportFileChunks.Where(c => c.JobId == jobId && c.Seq == seq).Select(c => c.Data).FirstOrDefaultAsync(cancellationToken);
                (_chunk, _offset, _ended) = (data ?? [], 0, data is null);
            }

            var count = Math.Min(buffer.Length, _chunk.Length - _offset);
            _chunk.AsMemory(_offset, count).CopyTo(buffer);
            _offset += count;
            return count;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
