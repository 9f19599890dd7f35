using GraphQL.Resolvers;
using GraphQL.Types;

namespace Crm.GraphQL.Server.Querying;

/// <summary>Hot Chocolate's connection shape: <c>XConnection { pageInfo edges nodes totalCount }</c>, named after the field.</summary>
public abstract class ConnectionGraphType<TNodeType, TNode> : ObjectGraphType<Page<TNode>>
    where TNodeType : IGraphType
{
    protected ConnectionGraphType(string plural, string description)
    {
        Name = $"{plural}Connection";
        Description = description;
        var edge = new EdgeGraphType($"{plural}Edge");

        Field<NonNullGraphType<PageInfoGraphType>>("pageInfo")
            .Description("Where this page sits in the whole list.")
            .Resolve(ctx => ctx.Source.PageInfo);
        AddField(new FieldType
        {
            Name = "edges",
            Description = "The rows of this page with their cursors.",
            ResolvedType = new ListGraphType(new NonNullGraphType(edge)),
            Resolver = new FuncFieldResolver<Page<TNode>, object>(ctx => ctx.Source.Edges),
        });
        Field<ListGraphType<NonNullGraphType<TNodeType>>>("nodes")
            .Description("The rows of this page, without cursors.")
            .Resolve(ctx => ctx.Source.Edges.Select(e => e.Node));
        Field<NonNullGraphType<IntGraphType>>("totalCount")
            .Description("How many rows the whole list holds. Costs a COUNT query: select it only when needed.")
            .Resolve(ctx => ctx.Source.TotalCount());
    }

    private sealed class EdgeGraphType : ObjectGraphType<Edge<TNode>>
    {
        public EdgeGraphType(string name)
        {
            Name = name;
            Description = "A row of a page and the cursor to page from it.";
            Field<NonNullGraphType<StringGraphType>>("cursor").Description("Opaque; pass to after or before.").Resolve(ctx => ctx.Source.Cursor);
            Field<NonNullGraphType<TNodeType>>("node").Description("The row.").Resolve(ctx => ctx.Source.Node);
        }
    }
}

public sealed class PageInfoGraphType : ObjectGraphType<PageInfo>
{
    public PageInfoGraphType()
    {
        Name = "PageInfo";
        Description = "Paging state of a connection.";
        Field(x => x.HasNextPage).Description("Whether rows follow this page.");
        Field(x => x.HasPreviousPage).Description("Whether rows precede this page.");
        Field(x => x.StartCursor, nullable: true).Description("The cursor of the first row of this page.");
        Field(x => x.EndCursor, nullable: true).Description("The cursor of the last row of this page.");
    }
}
