namespace Crm.Tests.Infrastructure;

/// <summary>The checkout the tests were built from, for tests that read committed files.</summary>
public static class Repository
{
    public static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AttackACrack.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("AttackACrack.sln not found above the test binaries.");
    }
}
