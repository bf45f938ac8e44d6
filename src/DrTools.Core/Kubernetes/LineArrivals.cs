using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace DrTools.Core.Kubernetes;

/// <summary>
/// When each line of a watch's response arrived (a Stopwatch timestamp a line, in order): a watch sends one event a line,
/// and its event is timed when its bytes came, not once the client has parsed it. Timed after parsing, a new process's
/// first event came 25–30 ms late against kubectl's watch of the same object, and the time below the desired count
/// came out short by that.
/// </summary>
internal sealed class LineArrivals
{
    private readonly ConcurrentQueue<long> _arrivals = new();

    /// <summary>The arrival of the next line not yet taken, if it came.</summary>
    public bool TryTake(out long timestamp) => _arrivals.TryDequeue(out timestamp);

    /// <summary>The response's content, its lines timed as they are read from the connection.</summary>
    public HttpContent Timing(HttpContent content) => new TimedContent(content, this);

    private void Arrived(ReadOnlySpan<byte> read)
    {
        var now = Stopwatch.GetTimestamp();
        for (var lines = read.Count((byte)'\n'); lines > 0; lines--) _arrivals.Enqueue(now);
    }

    private sealed class TimedContent : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly LineArrivals _arrivals;

        public TimedContent(HttpContent inner, LineArrivals arrivals)
        {
            (_inner, _arrivals) = (inner, arrivals);
            foreach (var (name, values) in inner.Headers) Headers.TryAddWithoutValidation(name, values);
        }

        protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            new TimedStream(await _inner.ReadAsStreamAsync(cancellationToken), _arrivals);

        protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await using var timed = await CreateContentReadStreamAsync();
            await timed.CopyToAsync(stream);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _inner.Dispose();
            base.Dispose(disposing);
        }
    }

    private sealed class TimedStream(Stream inner, LineArrivals arrivals) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            arrivals.Arrived(buffer.Span[..read]);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            arrivals.Arrived(buffer.AsSpan(offset, read));
            return read;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
