using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using SessionGrains.Interfaces.SignalR;

namespace SessionGrains.SignalR;

/// <summary>
/// Turns an app's invocation into an envelope (its bytes in every protocol this server speaks, so the grains never
/// see the app's types) and an entry into what a connection is sent: the app's invocation and the sequence
/// invocation in one write, so a client that received the message always knows its number.
/// </summary>
public sealed class HubPayloads(IHubProtocolResolver protocols)
{
    public HubEnvelope Envelope(string method, object?[] args)
    {
        var message = new InvocationMessage(method, args);
        var payloads = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var protocol in protocols.AllProtocols) payloads[protocol.Name] = protocol.GetMessageBytes(message).ToArray();
        return new HubEnvelope(Guid.NewGuid(), payloads);
    }

    /// <summary>The entry for <paramref name="protocol"/>, or just its number when the sender's server did not speak that protocol.</summary>
    public static SerializedHubMessage Frame(IHubProtocol protocol, MailboxEntry entry)
    {
        var marker = protocol.GetMessageBytes(new InvocationMessage(ResumeProtocol.SequenceMethod, [entry.Sequence]));
        if (!entry.Envelope.Payloads.TryGetValue(protocol.Name, out var payload)) return Single(protocol, marker);
        var bytes = new byte[payload.Length + marker.Length];
        payload.CopyTo(bytes, 0);
        marker.Span.CopyTo(bytes.AsSpan(payload.Length));
        return Single(protocol, bytes);
    }

    /// <summary>Only the sequence number: tells a newly connected client where it stands.</summary>
    public static SerializedHubMessage Marker(IHubProtocol protocol, long sequence) =>
        Single(protocol, protocol.GetMessageBytes(new InvocationMessage(ResumeProtocol.SequenceMethod, [sequence])));

    private static SerializedHubMessage Single(IHubProtocol protocol, ReadOnlyMemory<byte> bytes) =>
        new([new SerializedMessage(protocol.Name, bytes)]);
}
