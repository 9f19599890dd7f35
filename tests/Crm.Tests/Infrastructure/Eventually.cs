namespace Crm.Tests.Infrastructure;

/// <summary>For a server in another process, which processes a webhook after answering it: asks again until it is so.</summary>
public static class Eventually
{
    public static async Task<T> GetAsync<T>(Func<Task<T?>> read, string what)
        where T : class
    {
        for (var attempt = 0; ; attempt++)
        {
            if (await read() is { } value)
            {
                return value;
            }

            Assert.True(attempt < 100, $"Not so within 10 s: {what}.");
            await Task.Delay(100);
        }
    }
}
