//! Service modes other than replicated (global, the jobs) and the list filters of
//! services and tasks, on the services of [`service_spec`](super::service_spec).

use std::time::Duration;

use berth::Category;
use berth::Service;
use berth::api::services::{EndpointSpec, ServiceList, ServiceMode, ServiceOptions};
use berth::api::tasks::task_state;
use berth::core::options::Healthcheck;
use berth::core::request::Filters;
use serde_json::json;

use super::service_spec::{
    SPEC_LABEL, assert_holds, labels, labels_json, running_containers_of, task_ids,
};
use super::{CASE_LABEL, Ctx, IMAGE, labelled, poll_tasks, step};

/// A global service with TTY and stdin, its healthcheck turned off and an explicit
/// virtual IP without ports.
pub(crate) async fn global_service_spec_round_trips(ctx: &mut Ctx) {
    step("global_service_spec_round_trips");
    let opts = ServiceOptions::new(IMAGE)
        .name(format!("{}-glob", ctx.case))
        .mode(ServiceMode::Global)
        .command(["sleep", "300"])
        .tty(true)
        .open_stdin(true)
        .healthcheck(&Healthcheck::disabled())
        .expect("no healthcheck")
        .stop_grace_period(Duration::from_secs(1))
        .expect("grace")
        .endpoint_spec(EndpointSpec {
            mode: Some("vip".into()),
            ports: vec![],
        });
    let opts = labelled(opts, labels(ctx, "global"));
    let svc = ctx
        .docker
        .services()
        .create(&opts)
        .await
        .expect("create the global service");
    assert_holds(
        svc.spec(),
        &json!({
            "Mode": {"Global": {}},
            "Labels": labels_json(ctx, "global"),
            "EndpointSpec": {"Mode": "vip"},
            "TaskTemplate": {
                "ContainerSpec": {"TTY": true, "OpenStdin": true, "Command": ["sleep", "300"],
                    "Healthcheck": {"Test": ["NONE"]}}
            }
        }),
        "Spec",
    );
    let ids = running_containers_of(&svc, 1).await;
    let c = ctx
        .docker
        .containers()
        .get(&ids[0])
        .await
        .expect("global task container");
    assert_holds(
        &c.attrs().attrs,
        &json!({
            "Config": {"Tty": true, "OpenStdin": true, "Healthcheck": {"Test": ["NONE"]}}
        }),
        "container",
    );
    ctx.spec.glob = Some(svc);
}

/// Counts the service's tasks in state `complete`, polling until `n` are.
async fn wait_complete(svc: &Service, n: usize) {
    let what = format!("{n} completed tasks");
    let done = poll_tasks(svc, &Filters::new(), &what, |tasks| {
        let done = tasks
            .iter()
            .filter(|t| task_state(&t.attrs) == Some("complete"))
            .count();
        (done >= n).then_some(done)
    })
    .await;
    assert_eq!(done, n, "no more completions than asked for");
}

/// The job modes (API 1.41): a replicated job runs its completions at the allowed
/// concurrency, a global job once per node; neither can be scaled.
pub(crate) async fn job_modes_round_trip(ctx: &mut Ctx) {
    step("job_modes_round_trip");
    let job = |suffix: &str, mode: ServiceMode| {
        labelled(
            ServiceOptions::new(IMAGE)
                .name(format!("{}-{suffix}", ctx.case))
                .command(["true"])
                .mode(mode),
            labels(ctx, suffix),
        )
    };
    let services = ctx.docker.services();
    let rjob = services
        .create(&job(
            "rjob",
            ServiceMode::ReplicatedJob {
                max_concurrent: Some(1),
                total_completions: Some(2),
            },
        ))
        .await
        .expect("replicated job");
    assert_eq!(
        rjob.spec()["Mode"],
        json!({"ReplicatedJob": {"MaxConcurrent": 1, "TotalCompletions": 2}})
    );
    let gjob = services
        .create(&job("gjob", ServiceMode::GlobalJob))
        .await
        .expect("global job");
    assert_eq!(gjob.spec()["Mode"], json!({"GlobalJob": {}}));
    wait_complete(&rjob, 2).await;
    wait_complete(&gjob, 1).await;
    let e = rjob.scale(3).await.expect_err("scale a job");
    assert_eq!(e.category(), Category::InvalidArgument, "{e:?}");
    ctx.spec.jobs = vec![rjob, gjob];
}

async fn listed_names(ctx: &Ctx, filters: Filters) -> Vec<String> {
    let mut names: Vec<String> = ctx
        .docker
        .services()
        .list(&ServiceList {
            filters: filters.with("label", format!("{CASE_LABEL}={}", ctx.case)),
            status: false,
        })
        .await
        .expect("service list")
        .iter()
        .filter_map(|s| s.name().map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// `GET /services` filters: `id`, `name` (a prefix), `label` (key or key=value) and
/// `mode`, each shown to include what matches and leave out what does not.
pub(crate) async fn service_list_filters(ctx: &Ctx) {
    step("service_list_filters");
    let n = |suffix: &str| format!("{}-{suffix}", ctx.case);
    let full = ctx.spec.full();
    let glob = ctx.spec.glob();
    let mut all = vec![n("full"), n("gjob"), n("glob"), n("rjob"), n("svc")];
    all.sort();
    assert_eq!(listed_names(ctx, Filters::new()).await, all);
    assert_eq!(
        listed_names(ctx, Filters::new().with("id", full.id())).await,
        vec![n("full")]
    );
    assert_eq!(
        listed_names(ctx, Filters::new().with("id", &glob.id()[..12])).await,
        vec![n("glob")],
        "id prefix"
    );
    assert_eq!(
        listed_names(ctx, Filters::new().with("name", n("gl"))).await,
        vec![n("glob")],
        "name prefix"
    );
    assert_eq!(
        listed_names(ctx, Filters::new().with("name", n("full"))).await,
        vec![n("full")]
    );
    assert_eq!(
        listed_names(
            ctx,
            Filters::new().with("label", format!("{SPEC_LABEL}=global"))
        )
        .await,
        vec![n("glob")]
    );
    let mut spec_ones = vec![n("full"), n("gjob"), n("glob"), n("rjob")];
    spec_ones.sort();
    assert_eq!(
        listed_names(ctx, Filters::new().with("label", SPEC_LABEL)).await,
        spec_ones,
        "label key only: the original service has no such label"
    );
    assert_eq!(
        listed_names(ctx, Filters::new().with("mode", "global")).await,
        vec![n("glob")]
    );
    assert_eq!(
        listed_names(ctx, Filters::new().with("mode", "replicated")).await,
        vec![n("full"), n("svc")]
    );
    assert!(
        listed_names(ctx, Filters::new().with("name", "berth-no-such-prefix"))
            .await
            .is_empty()
    );
}

/// `GET /tasks` filters: `service` (id or name), `desired-state`, `label` and `node`,
/// each including what matches and leaving out what does not.
pub(crate) async fn task_list_filters(ctx: &Ctx) {
    step("task_list_filters");
    let tasks = ctx.docker.tasks();
    let full = ctx.spec.full();
    let glob = ctx.spec.glob();
    let list = |f: Filters| {
        let tasks = tasks.clone();
        async move { tasks.list(&f).await.expect("task list") }
    };
    let of_full = list(Filters::new().with("service", full.id())).await;
    assert!(!of_full.is_empty());
    assert!(
        of_full
            .iter()
            .all(|t| t.service_id.as_deref() == Some(full.id())),
        "only the full service's tasks"
    );
    let of_glob = list(Filters::new().with("service", glob.name().expect("name"))).await;
    assert!(!of_glob.is_empty(), "service filter by name");
    assert!(
        of_glob
            .iter()
            .all(|t| t.service_id.as_deref() == Some(glob.id()))
    );
    let both = list(
        Filters::new()
            .with("service", full.id())
            .with("service", glob.id()),
    )
    .await;
    let mut want = task_ids(&of_full);
    want.extend(task_ids(&of_glob));
    want.sort();
    assert_eq!(task_ids(&both), want, "service filters are ORed");

    // Label: the services' labels; the original service has no SPEC_LABEL.
    let by_label = list(Filters::new().with("label", format!("{SPEC_LABEL}=full"))).await;
    assert_eq!(task_ids(&by_label), task_ids(&of_full), "label=full");
    let by_key = list(Filters::new().with("label", SPEC_LABEL)).await;
    assert!(
        by_key
            .iter()
            .all(|t| t.service_id.as_deref() != Some(ctx.service().id())),
        "label key leaves out the original service"
    );
    for id in task_ids(&of_glob) {
        assert!(task_ids(&by_key).contains(&id), "label key includes {id}");
    }

    // Desired state: the running services' tasks are desired `running`, the jobs'
    // completed ones are not.
    let running = list(
        Filters::new()
            .with("label", SPEC_LABEL)
            .with("desired-state", "running"),
    )
    .await;
    let running_services: Vec<Option<&str>> =
        running.iter().map(|t| t.service_id.as_deref()).collect();
    assert!(running_services.contains(&Some(full.id())));
    assert!(running_services.contains(&Some(glob.id())));
    for job in &ctx.spec.jobs {
        assert!(
            !running_services.contains(&Some(job.id())),
            "completed job tasks are not desired running"
        );
    }
    // The original service's tasks replaced by its updates are desired `shutdown`,
    // kept as history; the two filters split its tasks.
    let main = ctx.service().id();
    let main_running = task_ids(
        &list(
            Filters::new()
                .with("service", main)
                .with("desired-state", "running"),
        )
        .await,
    );
    let main_shutdown = task_ids(
        &list(
            Filters::new()
                .with("service", main)
                .with("desired-state", "shutdown"),
        )
        .await,
    );
    assert_eq!(main_running.len(), 2, "{main_running:?}");
    assert!(!main_shutdown.is_empty(), "history of the updates");
    assert!(main_shutdown.iter().all(|id| !main_running.contains(id)));
    let mut main_both = main_running.clone();
    main_both.extend(main_shutdown);
    main_both.sort();
    assert_eq!(
        task_ids(&list(Filters::new().with("service", main)).await),
        main_both
    );

    // Node: by id and by hostname; an unknown node is an error, not an empty list.
    let node = ctx
        .docker
        .nodes()
        .list(&Filters::new())
        .await
        .expect("nodes")
        .remove(0);
    let on_node = list(
        Filters::new()
            .with("node", node.id())
            .with("service", glob.id()),
    )
    .await;
    assert_eq!(task_ids(&on_node), task_ids(&of_glob));
    let by_hostname = list(
        Filters::new()
            .with("node", node.hostname().expect("hostname"))
            .with("service", glob.id()),
    )
    .await;
    assert_eq!(task_ids(&by_hostname), task_ids(&of_glob));
    let e = tasks
        .list(&Filters::new().with("node", "berth-no-such-node"))
        .await
        .expect_err("unknown node");
    assert!(e.is_not_found(), "{e:?}");
}
