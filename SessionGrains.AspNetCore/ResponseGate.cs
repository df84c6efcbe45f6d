using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace SessionGrains.AspNetCore;

/// <summary>
/// The response body of a request that changed its session: the first write, flush, start or completion of the response
/// first runs <c>beforeStart</c> (which stores the session), so that a failure there is thrown to the app while the
/// response has not started and can still become an error answer. Everything else passes through to the server's body.
/// </summary>
internal sealed class ResponseGate : IHttpResponseBodyFeature
{
    private readonly IHttpResponseBodyFeature _inner;
    private readonly Func<Task> _beforeStart;
    private Task? _passed;
    private GateStream? _stream;
    private GateWriter? _writer;

    public ResponseGate(IHttpResponseBodyFeature inner, Func<Task> beforeStart)
    {
        _inner = inner;
        _beforeStart = beforeStart;
    }

    /// <summary>Runs <c>beforeStart</c> once; its failure is thrown to the first caller only, later writes pass.</summary>
    public ValueTask PassAsync()
    {
        if (_passed is { IsCompletedSuccessfully: true }) return ValueTask.CompletedTask;
        if (_passed is null)
        {
            _passed = _beforeStart();
            return new ValueTask(_passed);
        }
        return _passed.IsCompleted ? ValueTask.CompletedTask : new ValueTask(_passed.ContinueWith(static _ => { }, TaskScheduler.Default));
    }

    public Stream Stream => _stream ??= new GateStream(this, _inner.Stream);

    public PipeWriter Writer => _writer ??= new GateWriter(this, _inner.Writer);

    public void DisableBuffering() => _inner.DisableBuffering();

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await PassAsync().ConfigureAwait(false);
        await _inner.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        await PassAsync().ConfigureAwait(false);
        await _inner.SendFileAsync(path, offset, count, cancellationToken).ConfigureAwait(false);
    }

    public async Task CompleteAsync()
    {
        await PassAsync().ConfigureAwait(false);
        await _inner.CompleteAsync().ConfigureAwait(false);
    }

    private sealed class GateWriter(ResponseGate gate, PipeWriter inner) : PipeWriter
    {
        public override void Advance(int bytes) => inner.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override async ValueTask CompleteAsync(Exception? exception = null)
        {
            await gate.PassAsync().ConfigureAwait(false);
            await inner.CompleteAsync(exception).ConfigureAwait(false);
        }

        public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            await gate.PassAsync().ConfigureAwait(false);
            return await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        public override async ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            await gate.PassAsync().ConfigureAwait(false);
            return await inner.WriteAsync(source, cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class GateStream(ResponseGate gate, Stream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
            gate.PassAsync().AsTask().GetAwaiter().GetResult();
            inner.Flush();
        }

        public override async Task FlushAsync(CancellationToken cancellationToken)
        {
            await gate.PassAsync().ConfigureAwait(false);
            await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            // Synchronous writes are the app's choice (AllowSynchronousIO); the store then blocks as the write does.
            gate.PassAsync().AsTask().GetAwaiter().GetResult();
            inner.Write(buffer, offset, count);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await gate.PassAsync().ConfigureAwait(false);
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
