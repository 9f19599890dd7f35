using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Crm.GraphQL.Webhooks;

/// <summary>Why a delivery was refused, for the log and the counter; never sent to the caller.</summary>
internal enum SignatureFailure
{
    None,
    NoKeyConfigured,
    MissingHeader,
    MalformedHeader,
    OutsideWindow,
    Mismatch,
}

/// <summary>
/// Verifies OpenPhone's two signature schemes on the raw body bytes, before anything parses them
/// (openphone-api.md §3.4, §3.7), against every configured key, in constant time.
/// </summary>
internal sealed class WebhookSignatureVerifier
{
    public const string LegacyHeader = "openphone-signature";
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";

    private const int HmacLength = 32;
    private readonly byte[][] _keys;
    private readonly TimeSpan _tolerance;
    private readonly TimeProvider _clock;

    public WebhookSignatureVerifier(IOptions<OpenPhoneWebhookOptions> options, TimeProvider clock)
    {
        _keys = [.. options.Value.WebhookSigningKeys.Select(OpenPhoneWebhookOptions.DecodeKey).OfType<byte[]>()];
        _tolerance = TimeSpan.FromSeconds(options.Value.WebhookToleranceSeconds);
        _clock = clock;
    }

    public bool HasKeys => _keys.Length > 0;

    /// <summary>Whether the request carries a signature header of either scheme.</summary>
    public static bool IsSigned(IHeaderDictionary headers) =>
        headers.ContainsKey(LegacyHeader) || headers.ContainsKey(SignatureHeader);

    public SignatureFailure Verify(IHeaderDictionary headers, ReadOnlySpan<byte> body)
    {
        if (_keys.Length == 0)
        {
            return SignatureFailure.NoKeyConfigured;
        }

        // Routed by header presence: the 2026-03-30 system sends webhook-*, the legacy one openphone-signature.
        if (headers.TryGetValue(SignatureHeader, out var standard))
        {
            return VerifyStandard(headers[IdHeader].ToString(), headers[TimestampHeader].ToString(), standard.ToString(), body);
        }

        return headers.TryGetValue(LegacyHeader, out var legacy)
            ? VerifyLegacy(legacy.ToString(), body)
            : SignatureFailure.MissingHeader;
    }

    /// <summary><c>hmac;1;&lt;timestamp&gt;;&lt;base64&gt;</c>, several comma-separated; HMAC over <c>timestamp.body</c>.</summary>
    private SignatureFailure VerifyLegacy(string header, ReadOnlySpan<byte> body)
    {
        var result = SignatureFailure.MalformedHeader;
        foreach (var entry in header.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = entry.Split(';');
            if (parts.Length != 4 || parts[0] != "hmac" || parts[1] != "1" || !TryParseTimestamp(parts[2], out var at) || !TryDecodeSignature(parts[3], out var signature))
            {
                continue;
            }

            if (!WithinWindow(at))
            {
                result = result == SignatureFailure.Mismatch ? result : SignatureFailure.OutsideWindow;
                continue;
            }

            if (Matches(Encoding.ASCII.GetBytes(parts[2] + "."), body, signature))
            {
                return SignatureFailure.None;
            }

            result = SignatureFailure.Mismatch;
        }

        return result;
    }

    /// <summary>Standard Webhooks: <c>v1,&lt;base64&gt;</c> space-separated; HMAC over <c>id.timestamp.body</c>, timestamp in seconds.</summary>
    private SignatureFailure VerifyStandard(string id, string timestamp, string header, ReadOnlySpan<byte> body)
    {
        if (id.Length == 0 || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return SignatureFailure.MalformedHeader;
        }

        if (!WithinWindow(DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(seconds, 0, 253402300799))))
        {
            return SignatureFailure.OutsideWindow;
        }

        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        var result = SignatureFailure.MalformedHeader;
        foreach (var entry in header.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!entry.StartsWith("v1,", StringComparison.Ordinal) || !TryDecodeSignature(entry[3..], out var signature))
            {
                continue;
            }

            if (Matches(prefix, body, signature))
            {
                return SignatureFailure.None;
            }

            result = SignatureFailure.Mismatch;
        }

        return result;
    }

    private bool Matches(byte[] prefix, ReadOnlySpan<byte> body, byte[] signature)
    {
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        Span<byte> expected = stackalloc byte[HmacLength];
        var match = false;
        foreach (var key in _keys)
        {
            HMACSHA256.HashData(key, signed, expected);
            // Every key is tried even after a match, so timing does not tell which key (or whether a later one) matched.
            match |= CryptographicOperations.FixedTimeEquals(expected, signature);
        }

        return match;
    }

    private bool WithinWindow(DateTimeOffset at) => (_clock.GetUtcNow() - at).Duration() <= _tolerance;

    /// <summary>Unix seconds or milliseconds, told apart by size: seconds reach 12 digits only in the year 5138.</summary>
    private static bool TryParseTimestamp(string text, out DateTimeOffset at)
    {
        at = default;
        if (text.Length is 0 or > 16 || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }

        at = value >= 100_000_000_000 ? DateTimeOffset.FromUnixTimeMilliseconds(value) : DateTimeOffset.FromUnixTimeSeconds(value);
        return true;
    }

    private static bool TryDecodeSignature(string text, out byte[] signature)
    {
        signature = new byte[HmacLength];
        return Base64.IsValid(text) && Convert.TryFromBase64String(text, signature, out var written) && written == HmacLength;
    }
}
