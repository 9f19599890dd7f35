using Crm.Data.Users;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Loading;
using Crm.GraphQL.Server.Conventions;
using GraphQL;
using GraphQL.DataLoader;
using GraphQL.Types;

namespace Crm.GraphQL.Schema;

internal static class NodeQueries
{
    public static void Register(ObjectGraphType query)
    {
        query.Field<NodeInterfaceType>("node")
            .Description("Any object by its global id; null when it does not exist.")
            .RequireRole(CrmRole.Viewer)
            .Argument<NonNullGraphType<IdGraphType>>("id", "A global id.")
            .Resolve(ctx => Load(ctx, ctx.GetArgument<string>("id")));

        query.Field<NonNullGraphType<ListGraphType<NodeInterfaceType>>>("nodes")
            .Description("Objects by their global ids, in the same order; null for each id that does not exist. Loaded in one query per type.")
            .RequireRole(CrmRole.Viewer)
            .Argument<NonNullGraphType<ListGraphType<NonNullGraphType<IdGraphType>>>>("ids", a => a.Description = "Global ids, at most 100.")
            .ResolveAsync(async ctx =>
            {
                var ids = ctx.GetArgument<List<string>>("ids");
                if (ids.Count > 100)
                {
                    throw new ExecutionError($"nodes takes at most 100 ids; {ids.Count} were given.") { Code = "TOO_MANY_IDS" };
                }

                // Queue every key before awaiting any, so each loader fetches its whole batch at once.
                var pending = ids.Select(id => Load(ctx, id)).ToList();
                var results = new List<object?>(pending.Count);
                foreach (var result in pending)
                {
                    results.Add(await result.GetResultAsync(ctx.CancellationToken));
                }

                return results;
            });
    }

    private static IDataLoaderResult Load(IResolveFieldContext ctx, string id)
    {
        if (!NodeId.TryDecode(id, out var type, out var key))
        {
            throw new ExecutionError($"'{id}' is not a valid ID.") { Code = "INVALID_ID" };
        }

        var loaders = ctx.RequestServices!.GetRequiredService<CrmLoaders>();
        return type switch
        {
            "Contact" => loaders.Contacts.Load(key),
            "Conversation" => loaders.Conversations.Load(key),
            "Activity" => loaders.Activities.Load(key),
            "PhoneNumber" => loaders.PhoneNumbers.Load(key),
            "ContactList" => loaders.ContactLists.Load(key),
            "ImportJob" => loaders.ImportJobs.Load(key),
            "Campaign" => loaders.Campaigns.Load(key),
            "CampaignTemplate" => loaders.CampaignTemplates.Load(key),
            _ => throw new ExecutionError($"Objects of type {type} cannot be fetched with node.") { Code = "INVALID_ID" },
        };
    }
}
