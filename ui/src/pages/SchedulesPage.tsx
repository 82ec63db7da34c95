import { useState } from "react";
import { useSearchParams } from "react-router";
import { useQuery } from "@connectrpc/connect-query";
import { JobService } from "../gen/flightcontrol/v1/job_pb";
import { ScheduleService, type Schedule } from "../gen/flightcontrol/v1/schedule_pb";
import { useAuth } from "../hooks/useAuth";
import { PageHeader, Section, Loading } from "../components/PageHeader";
import { ScheduleTable } from "../components/ScheduleTable";
import { ScheduleForm } from "../components/ScheduleForm";
import { ErrorBanner } from "../components/ErrorBanner";
import { Button } from "../components/Button";

export function SchedulesPage() {
  const { can } = useAuth();
  const [params, setParams] = useSearchParams();
  const creating = params.get("new") === "1";
  const initialJob = params.get("job") ?? undefined;
  const [editing, setEditing] = useState<Schedule>();
  const schedules = useQuery(ScheduleService.method.listSchedules, {});
  const jobs = useQuery(JobService.method.listJobs, { pageSize: 500 });
  const jobNames = new Map(jobs.data?.jobs.map((j) => [j.id, j.name]) ?? []);
  const formOpen = can("schedules:write") && (creating || !!editing);
  const close = () => {
    setEditing(undefined);
    setParams({});
  };

  return (
    <div>
      <PageHeader
        title="Schedules"
        subtitle="Cron triggers for jobs, evaluated in their own time zone."
        actions={
          can("schedules:write") &&
          !formOpen && (
            <Button variant="primary" onClick={() => setParams({ new: "1" })}>
              New schedule
            </Button>
          )
        }
      />
      {formOpen && (
        <Section title={editing ? `Edit ${editing.name}` : "New schedule"} className="mb-4">
          <ScheduleForm key={editing?.id ?? "new"} schedule={editing} initialJobId={initialJob} onDone={close} />
        </Section>
      )}
      <ErrorBanner error={schedules.error} />
      <Section>
        {schedules.isPending ? (
          <Loading />
        ) : (
          <ScheduleTable
            schedules={schedules.data?.schedules ?? []}
            jobNames={jobNames}
            onEdit={(s) => {
              setParams({});
              setEditing(s);
            }}
          />
        )}
      </Section>
    </div>
  );
}
