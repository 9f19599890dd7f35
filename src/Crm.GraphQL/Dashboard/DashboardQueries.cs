using Crm.Data.Reporting;
using Crm.Data.Users;
using Crm.GraphQL.Auth;
using GraphQL.Types;

namespace Crm.GraphQL.Dashboard;

internal static class DashboardQueries
{
    public static void Register(ObjectGraphType query)
    {
        query.Field<NonNullGraphType<DashboardType>>("dashboard")
            .Description("Today's, this week's and this month's numbers and texts per day, in the business time zone (Crm:BusinessTimeZone). Cached until something changes them.")
            .RequireRole(CrmRole.Viewer)
            .ResolveAsync(async ctx => await ctx.RequestServices!.GetRequiredService<DashboardCache>().GetAsync(ctx.CancellationToken));
    }
}

internal sealed class DashboardType : ObjectGraphType<Data.Reporting.Dashboard>
{
    public DashboardType()
    {
        Name = "Dashboard";
        Description = "The business at a glance. Periods start at local midnight: today, the last 7 days and the last 30 days, today included.";
        Field(x => x.ComputedAt).Description("When these numbers were counted.");
        Field(x => x.TimeZone).Description("The IANA zone the days are counted in.");
        Field<NonNullGraphType<DashboardPeriodType>>("today").Description("Since local midnight.").Resolve(ctx => ctx.Source.Today);
        Field<NonNullGraphType<DashboardPeriodType>>("last7Days").Description("Today and the 6 days before.").Resolve(ctx => ctx.Source.Last7Days);
        Field<NonNullGraphType<DashboardPeriodType>>("last30Days").Description("Today and the 29 days before.").Resolve(ctx => ctx.Source.Last30Days);
        Field(x => x.Unread).Description("Conversations with unread texts or calls now.");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<DayCountType>>>>("textsPerDay").Description("The last 30 days, oldest first, days without texts included.")
            .Resolve(ctx => ctx.Source.TextsPerDay);
    }
}

internal sealed class DashboardPeriodType : ObjectGraphType<DashboardPeriod>
{
    public DashboardPeriodType()
    {
        Name = "DashboardPeriod";
        Description = "Counts over one period.";
        Field(x => x.From).Description("The period's start.");
        Field(x => x.NewConversations).Description("Conversations that began in it.");
        Field(x => x.TextsIn).Description("Texts received.");
        Field(x => x.TextsOut).Description("Texts OpenPhone took from us (sent or delivered); queued, refused and failed ones are not counted.");
        Field(x => x.Contacted).Description("Conversations we texted.");
        Field(x => x.Replied).Description("Of those, the ones that answered after our first text of the period.");
        Field(x => x.ReplyRate, nullable: true).Description("replied / contacted, from 0 to 1; null when nobody was texted.");
        Field(x => x.OptOuts).Description("Numbers that opted out.");
        Field(x => x.CampaignDeliveries).Description("Campaign texts delivered.");
    }
}

internal sealed class DayCountType : ObjectGraphType<DayCount>
{
    public DayCountType()
    {
        Name = "DayCount";
        Description = "Texts on one local day.";
        Field(x => x.Date).Description("The day, yyyy-MM-dd.");
        Field(x => x.TextsIn).Description("Texts received.");
        Field(x => x.TextsOut).Description("Texts sent.");
    }
}
