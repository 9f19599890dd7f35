using Crm.Data;
using Crm.Data.Audit;
using Crm.Data.Users;

namespace Crm.GraphQL;

/// <summary>Operator commands of the server binary: <c>users create-admin --email … [--password …]</c>.</summary>
internal static class Cli
{
    public static async Task<bool> TryRunAsync(IServiceProvider services, string[] args)
    {
        if (args is not ["users", "create-admin", ..])
        {
            return false;
        }

        var email = Option(args, "--email");
        if (email is null)
        {
            await Console.Error.WriteLineAsync("usage: users create-admin --email <email> [--password <password>] (or CRM_ADMIN_PASSWORD)");
            Environment.ExitCode = 2;
            return true;
        }

        var password = Option(args, "--password") ?? Environment.GetEnvironmentVariable("CRM_ADMIN_PASSWORD");
        var generated = password is null;
        password ??= Crm.Data.HostingExtensions.NewPassword();
        await using var scope = services.CreateAsyncScope();
        try
        {
            await scope.ServiceProvider.GetRequiredService<UserOperations>().CreateAsync(email, password, "Administrator", CrmRole.Admin, Actor.System);
            Console.WriteLine(generated ? $"Admin {email} created with password: {password}" : $"Admin {email} created.");
        }
        catch (DomainException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            Environment.ExitCode = 1;
        }

        return true;
    }

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
