namespace Crm.GraphQL.Server.Http;

/// <summary>Reading a request body without trusting its sender about its size.</summary>
internal static class RequestBodies
{
    /// <summary>
    /// The whole body, or null as soon as it proves larger than <paramref name="maxBytes"/>, by its Content-Length or
    /// by what arrives (a chunked body has no length to check first).
    /// </summary>
    public static async Task<byte[]?> ReadCappedAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > maxBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream(request.ContentLength is { } length ? (int)length : 4096);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
