using System.Buffers;
using Microsoft.AspNetCore.Http.Features;

namespace Crm.GraphQL.Server.WebSockets;

/// <summary>
/// The upgraded connection under a WebSocket, able to hold frames while the socket's writer drains its queue and send
/// them in one write: a socket that fell behind by a hundred messages then costs one transport write and one TCP
/// segment, not a hundred. The WebSocket writes a whole frame per call, so holding never splits one.
/// </summary>
/// <remarks>
/// Outside a hold every write goes straight through, so frames the WebSocket sends on its own (pongs, keep-alives)
/// are never kept waiting. Writes and flushes take one gate: a pong written from the receive loop cannot interleave
/// with a flush.
/// </remarks>
internal sealed class CoalescingStream(Stream inner) : Stream
{
    /// <summary>What a hold keeps at most before it writes: dozens of events' messages.</summary>
    internal const int BufferBytes = 16 * 1024;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private byte[]? _buffer;
    private int _count;
    private volatile bool _holding;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>From now until <see cref="ReleaseAsync"/>, writes are kept and sent together.</summary>
    public void Hold() => _holding = true;

    /// <summary>Sends what the hold kept and lets later writes through again.</summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _holding = false;
            await WritePendingAsync(cancellationToken);
        }
        finally
        {
            ReturnBuffer();
            _gate.Release();
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_holding && _count + buffer.Length > BufferBytes)
            {
                await WritePendingAsync(cancellationToken);
            }

            if (!_holding || buffer.Length > BufferBytes)
            {
                await inner.WriteAsync(buffer, cancellationToken);
                await inner.FlushAsync(cancellationToken);
                return;
            }

            Reserve(_count + buffer.Length);
            buffer.Span.CopyTo(_buffer.AsSpan(_count));
            _count += buffer.Length;
        }
        finally
        {
            _gate.Release();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await WritePendingAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

    // Kestrel refuses synchronous I/O on a connection, and the WebSocket never asks for it.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Flush() => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            _gate.Dispose();
            ReturnBuffer();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        _gate.Dispose();
        ReturnBuffer();
        await base.DisposeAsync();
    }

    private async ValueTask WritePendingAsync(CancellationToken cancellationToken)
    {
        if (_count == 0)
        {
            return;
        }

        var count = _count;
        _count = 0; // a write that failed leaves the socket aborted: nothing kept would be sent anyway
        await inner.WriteAsync(_buffer.AsMemory(0, count), cancellationToken);
        await inner.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// Rented to fit what is held, not the most a hold may keep: a thousand sockets each holding a few messages would
    /// otherwise take more 16 KiB buffers than the shared pool keeps, and allocate each.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_buffer))]
    private void Reserve(int length)
    {
        if (_buffer is not null && _buffer.Length >= length)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(length, Math.Min(BufferBytes, (_buffer?.Length ?? 512) * 2)));
        if (_buffer is not null)
        {
            _buffer.AsSpan(0, _count).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = larger;
    }

    private void ReturnBuffer()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            _count = 0;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Puts a <see cref="CoalescingStream"/> under the WebSocket the framework's middleware accepts, which takes the
    /// upgraded connection from this feature; <see cref="Stream"/> is that stream once the upgrade happened.
    /// </summary>
    internal sealed class UpgradeFeature(IHttpUpgradeFeature inner) : IHttpUpgradeFeature
    {
        public bool IsUpgradableRequest => inner.IsUpgradableRequest;

        public CoalescingStream? Stream { get; private set; }

        public async Task<Stream> UpgradeAsync()
        {
            Stream = new CoalescingStream(await inner.UpgradeAsync());
            return Stream;
        }
    }
}
